// Before the CLI talks to the local API socket it checks, with lstat (no symlink is followed), that the
// socket is one only root (or this very user) could have put there: the socket and its directory are
// owned by root or by the CLI's own user, and the directory is a real directory that neither its group
// nor others can write to. A local user who squats the API's TCP port after a crash cannot pass this,
// so the CLI never hands a command to a listener it has not verified.
import { lstatSync } from "node:fs";
import { dirname } from "node:path";

/** Whether `uid` may own the socket or its directory: root, or the CLI's own user. */
function trusted(uid: number): boolean {
  return uid === 0 || uid === process.geteuid?.();
}

/** Checks the socket at `path`; undefined when it may be used, else why not (for messages). */
export function socketProblem(path: string): string | undefined {
  const dir = dirname(path);
  try {
    const d = lstatSync(dir);
    if (!d.isDirectory()) return `${dir} is not a directory`;
    if (!trusted(d.uid)) return `${dir} is owned by uid ${d.uid}, not root`;
    if ((d.mode & 0o022) !== 0) return `${dir} is writable by group or others (mode ${(d.mode & 0o777).toString(8)})`;
    const s = lstatSync(path);
    if (!s.isSocket()) return `${path} is not a socket`;
    if (!trusted(s.uid)) return `${path} is owned by uid ${s.uid}, not root`;
    return undefined;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === "ENOENT" ? `${path} does not exist` : `${path}: ${code ?? (err as Error).message}`;
  }
}
