// Runs an import from files: reads them (includes expanded), calls the pure importer, prints the YAML
// and checks it with the same code as `vigil check`. Used by the CLI and by the tests.
import { existsSync } from "node:fs";
import { dirname, isAbsolute, join } from "node:path";
import { loadConfigText, type LocatedIssue } from "../adapters/config-file.js";
import { importHeartbeat } from "../core/import/heartbeat.js";
import { readAuthkeys, readHaCf, readHaresources } from "../core/import/heartbeat-files.js";
import { importKeepalived } from "../core/import/keepalived.js";
import { importLdirectord } from "../core/import/ldirectord.js";
import { mergeVirtualServers } from "../core/import/merge.js";
import type { ImportResult } from "../core/import/types.js";
import { readInput, readKeepalived } from "./read-sources.js";
import { renderImport } from "./render-yaml.js";

/** Options every import takes. */
export interface CommonImportOptions {
  /** `--address NAME=IP`: node addresses that win over what the files say. */
  addresses?: ReadonlyMap<string, string>;
  clusterName?: string;
  keyFile?: string;
}

/** The default key file path written into imported configs. */
export const DEFAULT_KEY_FILE = "/etc/vigil/cluster.key";

/** Imports keepalived.conf files, one per node (`nodes`: name → path). */
export function importKeepalivedFiles(
  nodes: ReadonlyMap<string, string>,
  opts: CommonImportOptions = {},
): ImportResult {
  const read = [...nodes].map(([name, file]) => ({ name, file, ...readKeepalived(file) }));
  const result = importKeepalived({
    nodes: read.map(({ name, file, tokens }) => ({ name, file, tokens })),
    addresses: opts.addresses ?? new Map(),
    clusterName: opts.clusterName ?? "keepalived",
    keyFile: opts.keyFile ?? DEFAULT_KEY_FILE,
  });
  return { ...result, notes: [...read.flatMap((r) => r.notes), ...result.notes] };
}

/** The printed config and what `vigil check` (without the key file) says of it. */
export function renderAndCheck(result: ImportResult): { text: string; issues: LocatedIssue[] } {
  const text = renderImport(result);
  const loaded = loadConfigText(text, "(imported vigil.yaml)", { checkKeyFile: false });
  return { text, issues: loaded.ok ? [] : loaded.issues };
}

/** Where heartbeat's files are: a directory (its ha.cf, haresources, authkeys) and/or each file. */
export interface HeartbeatFiles {
  dir?: string;
  haCf?: string;
  haresources?: string;
  authkeys?: string;
  /** Interface for addresses in haresources that name none (default eth0). */
  interface?: string;
}

/** Imports ha.cf + haresources + authkeys. With only `dir`, haresources and authkeys are read when present. */
export function importHeartbeatFiles(files: HeartbeatFiles, opts: CommonImportOptions = {}): ImportResult {
  const dir = files.dir ?? (files.haCf ? undefined : "/etc/ha.d");
  const pick = (explicit: string | undefined, name: string) =>
    explicit ?? (dir && existsSync(join(dir, name)) ? join(dir, name) : undefined);
  const haCfFile = files.haCf ?? join(dir as string, "ha.cf");
  const haCf = readHaCf(readInput(haCfFile, "ha.cf"), haCfFile);
  const nodes = haCf.flatMap((l) => (l.words[0] === "node" ? l.words.slice(1) : []));
  const hrFile = pick(files.haresources, "haresources");
  const akFile = pick(files.authkeys, "authkeys");
  const hrLines = hrFile ? readHaresources(readInput(hrFile, "haresources"), hrFile, nodes) : undefined;
  const result = importHeartbeat({
    haCf: { file: haCfFile, lines: haCf },
    haresources: hrFile && hrLines ? { file: hrFile, lines: hrLines } : undefined,
    authkeys: akFile ? { file: akFile, shape: readAuthkeys(readInput(akFile, "authkeys"), akFile) } : undefined,
    addresses: opts.addresses ?? new Map(),
    clusterName: opts.clusterName ?? "heartbeat",
    keyFile: opts.keyFile ?? DEFAULT_KEY_FILE,
    defaultInterface: files.interface ?? "eth0",
  });
  const ldFile = hrFile && hrLines ? ldirectordFile(hrFile, hrLines) : undefined;
  return ldFile ? mergeVirtualServers(result, importLdirectordFile(ldFile, opts), ldFile) : result;
}

/** The ldirectord.cf a haresources line runs (`ldirectord::FILE`, relative to its directory or its
 * conf/ folder, as heartbeat's ldirectord script looks), when it exists. */
function ldirectordFile(hrFile: string, lines: readonly { words: string[] }[]): string | undefined {
  const word = lines.flatMap((l) => l.words).find((w) => w === "ldirectord" || w.startsWith("ldirectord::"));
  if (!word) return undefined;
  const name = word.split("::")[1] ?? "ldirectord.cf";
  const candidates = isAbsolute(name) ? [name] : [join(dirname(hrFile), name), join(dirname(hrFile), "conf", name)];
  return candidates.find((f) => existsSync(f));
}

/** Imports ldirectord.cf. */
export function importLdirectordFile(file: string, opts: CommonImportOptions = {}): ImportResult {
  return importLdirectord({
    file,
    text: readInput(file, "ldirectord.cf"),
    addresses: opts.addresses ?? new Map(),
    clusterName: opts.clusterName ?? "ldirectord",
    keyFile: opts.keyFile ?? DEFAULT_KEY_FILE,
  });
}
