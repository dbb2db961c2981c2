// The rules every secret file of vigil is held to (the cluster key and the API token): a regular file,
// not a symlink, owned by the user vigil runs as (or root), readable by its owner only, and holding a
// secret that is not empty once surrounding whitespace (Unicode spaces included) is trimmed. The same
// function serves `vigil check`, start-up and reload, so the three can never disagree.
import { closeSync, constants, fstatSync, lstatSync, openSync, readFileSync } from "node:fs";

/** Which secret a file holds: the rules are shared, the minimum size and the advice differ. */
export interface SecretKind {
  /** How messages name it, e.g. "the cluster key". */
  what: string;
  /** Least number of bytes after trimming. */
  minBytes: number;
  /** How to make a good one, e.g. "vigil keygen -o FILE" (FILE is replaced by the path). */
  howToMake: string;
  /** When set, every byte must be printable ASCII (a bearer token travels in an HTTP header). */
  printableAscii?: boolean;
}

/** The result of reading a secret file: the trimmed secret, or what is wrong and what to do. */
export type SecretRead = { ok: true; secret: string } | { ok: false; message: string };

/** Largest secret file read, bytes (a key or token is one short line). */
const MAX_SECRET_BYTES = 4096;

/** Whether `uid` may own a secret file read by this process: its own effective user, or root. */
function trustedOwner(uid: number): boolean {
  return uid === 0 || uid === (process.geteuid?.() ?? uid);
}

/** Why the file's metadata breaks the rules, or undefined when it keeps them. */
function metadataProblem(
  file: string,
  st: { mode: number; uid: number; size: number; isFile(): boolean },
  what: string,
): string | undefined {
  if (!st.isFile()) return `${file} is not a regular file; ${what} must be a plain file`;
  if (st.size > MAX_SECRET_BYTES)
    return `${file} holds ${st.size} bytes; ${what} is a short line (at most ${MAX_SECRET_BYTES})`;
  const mode = st.mode & 0o777;
  if ((mode & 0o077) !== 0)
    return `${file} has mode ${mode.toString(8).padStart(4, "0")}; ${what} must not be readable by group or others: chmod 600 ${file}`;
  if (!trustedOwner(st.uid))
    return `${file} is owned by uid ${st.uid}; ${what} must belong to the user vigil runs as (uid ${process.geteuid?.()}) or root: chown root ${file}`;
  return undefined;
}

/** Reads and checks a secret file; never throws. The file is opened with O_NOFOLLOW and checked
 * through the open descriptor, so it cannot be swapped for a symlink between check and read. */
export function readSecretFile(file: string, kind: SecretKind): SecretRead {
  const make = kind.howToMake.replaceAll("FILE", file);
  let fd: number | undefined;
  try {
    if (lstatSync(file).isSymbolicLink())
      return {
        ok: false,
        message: `${file} is a symbolic link; point the config at the file itself (${kind.what} may not be a link)`,
      };
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    const problem = metadataProblem(file, fstatSync(fd), kind.what);
    if (problem) return { ok: false, message: problem };
    const secret = readFileSync(fd, "utf8").trim();
    if (secret === "")
      return { ok: false, message: `${file} is empty or only whitespace; make a new one with: ${make}` };
    const bytes = Buffer.byteLength(secret, "utf8");
    if (bytes < kind.minBytes)
      return {
        ok: false,
        message: `${file} holds ${bytes} bytes; ${kind.what} needs at least ${kind.minBytes} (surrounding whitespace not counted): make one with: ${make}`,
      };
    if (kind.printableAscii && !/^[\x21-\x7e]+$/.test(secret))
      return {
        ok: false,
        message: `${file} holds spaces, control or non-ASCII characters; ${kind.what} must be printable ASCII without spaces: make one with: ${make}`,
      };
    return { ok: true, secret };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === "ENOENT"
        ? "does not exist"
        : code === "EACCES"
          ? "cannot be read (permission denied; check it as the user vigil runs as)"
          : code === "ELOOP"
            ? "is a symbolic link"
            : (err as Error).message;
    return { ok: false, message: `${file} ${why} (make one with: ${make})` };
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Minimum cluster key size in bytes: HMAC-SHA256 wants at least its own output size. */
export const MIN_KEY_BYTES = 32;

/** The cluster key file's rules. */
export const KEY_SECRET: SecretKind = {
  what: "the cluster key",
  minBytes: MIN_KEY_BYTES,
  howToMake: "vigil keygen -o FILE",
};

/** The API token file's rules (the same as the key's; a token is sent in an HTTP header). */
export const TOKEN_SECRET: SecretKind = {
  what: "the API token",
  minBytes: 1,
  howToMake: "vigil keygen -o FILE",
  printableAscii: true,
};
