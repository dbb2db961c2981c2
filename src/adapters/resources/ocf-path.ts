// Where an OCF agent may be: $OCF_ROOT/resource.d/PROVIDER/AGENT and nowhere else. The schema already
// refuses names with "/", ".." or a leading "."; this checks again at run time, on the real path: the
// agent must resolve (symlinks followed) to a file under the real OCF root, or under the real directory
// of its provider (distributions link whole provider directories elsewhere, as RHEL's
// resource.d/redhat -> /usr/share/cluster), never anywhere else.
import { realpathSync } from "node:fs";
import { isAbsolute, join, relative, resolve } from "node:path";
import { MAX_OCF_SEGMENT_LENGTH, OCF_SEGMENT_PATTERN } from "../../core/config/limits.js";

/** The agent's path, or why it may not be run. */
export type OcfAgentPath = { ok: true; path: string } | { ok: false; detail: string };

/** Whether `path` is `dir` or lies under it (both absolute and normalized). */
function inside(dir: string, path: string): boolean {
  const rel = relative(dir, path);
  return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel));
}

/** The path of PROVIDER/AGENT under `ocfRoot`, checked lexically (no escape by name). */
export function ocfAgentPath(ocfRoot: string, agent: string): OcfAgentPath {
  const parts = agent.split("/");
  const [provider, type] = parts;
  if (
    parts.length !== 2 ||
    provider === undefined ||
    type === undefined ||
    !parts.every((p) => p.length <= MAX_OCF_SEGMENT_LENGTH && OCF_SEGMENT_PATTERN.test(p))
  )
    return { ok: false, detail: `ocf agent ${JSON.stringify(agent)} is not PROVIDER/AGENT of plain names` };
  const base = resolve(ocfRoot, "resource.d");
  const path = resolve(base, provider, type);
  if (!inside(base, path)) return { ok: false, detail: `ocf agent ${agent} would leave ${base}` };
  return { ok: true, path };
}

/** The agent's path after the lexical check and a check of its real path (see the file comment). A
 * missing agent passes (running it then fails with ENOENT, in the usual words). */
export function verifiedOcfAgentPath(ocfRoot: string, agent: string): OcfAgentPath {
  const lexical = ocfAgentPath(ocfRoot, agent);
  if (!lexical.ok) return lexical;
  let real: string;
  try {
    real = realpathSync(lexical.path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return lexical;
    return { ok: false, detail: `ocf agent ${lexical.path}: ${(err as Error).message}` };
  }
  const [provider = ""] = agent.split("/");
  const allowed = [ocfRoot, join(ocfRoot, "resource.d", provider)].flatMap((dir) => {
    try {
      return [realpathSync(dir)];
    } catch {
      return [];
    }
  });
  if (!allowed.some((dir) => inside(dir, real)))
    return {
      ok: false,
      detail: `ocf agent ${lexical.path} resolves to ${real}, outside the OCF root ${ocfRoot} and its provider's directory: refused`,
    };
  return { ok: true, path: lexical.path };
}
