// heartbeat's three files as lines of words: ha.cf (`directive args`), haresources (`node resource...`,
// `\` continues a line) and authkeys (`auth N`, then `N method secret`; only its shape is read, the
// secret never leaves this file). Each refuses text that is not what it claims, with a stable code.
import { ImportError, type SourcePos } from "./types.js";

/** One non-empty line without its comment, split into words. */
export interface Line {
  words: string[];
  at: SourcePos;
}

/** Splits `text` into lines of words; `#` starts a comment; `continuation` joins lines ending in `\`. */
export function wordLines(text: string, file: string, continuation = false): Line[] {
  if (text.includes("\0")) throw new ImportError("E_IMPORT_FORMAT", `${file} is a binary file`, { file, line: 1 });
  const out: Line[] = [];
  let pending: Line | undefined;
  text.split(/\r?\n/).forEach((raw, i) => {
    const hash = raw.indexOf("#");
    let body = (hash >= 0 ? raw.slice(0, hash) : raw).trim();
    const continues = continuation && body.endsWith("\\");
    if (continues) body = body.slice(0, -1);
    const words = body.split(/\s+/).filter((w) => w !== "");
    if (pending) pending.words.push(...words);
    else if (words.length > 0 || continues) pending = { words, at: { file, line: i + 1 } };
    if (!continues && pending) {
      if (pending.words.length > 0) out.push(pending);
      pending = undefined;
    }
  });
  if (pending && pending.words.length > 0) out.push(pending);
  return out;
}

/** ha.cf directives heartbeat knows. */
export const HA_CF_DIRECTIVES = new Set([
  "node",
  "ucast",
  "bcast",
  "mcast",
  "mcast6",
  "keepalive",
  "deadtime",
  "warntime",
  "initdead",
  "udpport",
  "auto_failback",
  "nice_failback",
  "ping",
  "ping_group",
  "respawn",
  "apiauth",
  "crm",
  "pacemaker",
  "logfile",
  "debugfile",
  "logfacility",
  "use_logd",
  "debug",
  "baud",
  "serial",
  "watchdog",
  "stonith",
  "stonith_host",
  "compression",
  "compression_threshold",
  "traditional_compression",
  "autojoin",
  "hopfudge",
  "deadping",
  "realtime",
  "uuidfrom",
  "coredumps",
  "msgfmt",
  "conn_logd_time",
  "max_rexmit_delay",
  "rtprio",
  "generation_threshold",
  "hbgenmethod",
  "enable_config_writes",
  "record_config_changes",
  "record_pengine_inputs",
  "memreserve",
  "syslogmsgfmt",
  "ucast6",
]);

/** Reads ha.cf, refusing a file that is not one (braces, `key=value` lines, or no `node` line). */
export function readHaCf(text: string, file: string): Line[] {
  const lines = wordLines(text, file);
  for (const l of lines) {
    const first = l.words[0] as string;
    if (first.includes("{") || first.includes("=") || l.words.includes("{"))
      throw new ImportError(
        "E_IMPORT_FORMAT",
        `this is not an ha.cf: "${first.slice(0, 40)}" is not an ha.cf directive (a keepalived.conf or ldirectord.cf?)`,
        l.at,
      );
  }
  if (!lines.some((l) => l.words[0] === "node")) {
    const at = lines[0]?.at ?? { file, line: 1 };
    throw new ImportError(
      "E_IMPORT_FORMAT",
      `this is not an ha.cf: it has no "node" line naming the cluster's nodes`,
      at,
    );
  }
  return lines;
}

/** Reads haresources: every line starts with a node of ha.cf. */
export function readHaresources(text: string, file: string, nodes: readonly string[]): Line[] {
  const lines = wordLines(text, file, true);
  for (const l of lines) {
    const first = l.words[0] as string;
    if (l.words.some((w) => w.includes("{") || w.includes("=")) || !nodes.includes(first))
      throw new ImportError(
        "E_IMPORT_FORMAT",
        `this is not a haresources file for this ha.cf: a line must start with a node name (${nodes.join(", ")}), got "${first.slice(0, 40)}"`,
        l.at,
      );
  }
  return lines;
}

/** What authkeys says without its secret: the key number in use and its method. */
export interface AuthKeysShape {
  method: string;
  at: SourcePos;
}

/** Reads authkeys for its shape only; the error messages never quote the file. */
export function readAuthkeys(text: string, file: string): AuthKeysShape {
  const lines = wordLines(text, file);
  const auth = lines[0];
  if (!auth || auth.words[0] !== "auth" || !/^\d+$/.test(auth.words[1] ?? ""))
    throw new ImportError(
      "E_IMPORT_FORMAT",
      "this is not an authkeys file: its first line must be `auth N`",
      auth?.at ?? { file, line: 1 },
    );
  const key = lines.find((l) => l.words[0] === auth.words[1]);
  if (!key)
    throw new ImportError(
      "E_IMPORT_FORMAT",
      `this is not a complete authkeys file: no line defines key ${auth.words[1]}`,
      auth.at,
    );
  const method = key.words[1] ?? "";
  if (!["sha1", "md5", "crc"].includes(method))
    throw new ImportError(
      "E_IMPORT_FORMAT",
      "this is not an authkeys file: a key line must be `N sha1|md5|crc SECRET`",
      key.at,
    );
  return { method, at: key.at };
}
