// Runs an import from files: reads them (includes expanded), calls the pure importer, prints the YAML
// and checks it with the same code as `vigil check`. Used by the CLI and by the tests.
import { loadConfigText, type LocatedIssue } from "../adapters/config-file.js";
import { importKeepalived } from "../core/import/keepalived.js";
import type { ImportResult } from "../core/import/types.js";
import { readKeepalived } from "./read-sources.js";
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
export function importKeepalivedFiles(nodes: ReadonlyMap<string, string>, opts: CommonImportOptions = {}): ImportResult {
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
