// The API's local unix socket: the same routes as over TCP, but commands need no token, because who can
// connect is decided by the file system. The runtime directory is made mode 0750 and owned by the
// daemon's user (group: api.group, else the daemon's group); the socket is mode 0660 with that group.
// So only root and members of api.group can run commands through it, and nobody else can put a socket
// of their own in its place (the CLI checks the same before it connects; see cli/local-socket-check.ts).
import { chmodSync, chownSync, lstatSync, mkdirSync, unlinkSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { connect } from "node:net";
import { dirname } from "node:path";
import { applyLimits, SERVER_OPTIONS, SOCKET_MAX_CONNECTIONS } from "./limits.js";
import { apiListener, type ApiBackend } from "./server.js";

/** Mode of the runtime directory that holds the socket. */
export const SOCKET_DIR_MODE = 0o750;

/** Mode of the socket itself. */
export const SOCKET_MODE = 0o660;

/** Makes the socket's directory safe: created if needed, a real directory (no symlink) owned by this
 * process's user, mode 0750, group `gid`. Throws saying what is wrong. */
function prepareDir(dir: string, gid: number): void {
  mkdirSync(dir, { recursive: true, mode: SOCKET_DIR_MODE });
  const st = lstatSync(dir);
  const uid = process.geteuid?.() ?? st.uid;
  if (!st.isDirectory()) throw new Error(`${dir} is not a directory (a symlink?); remove it`);
  if (st.uid !== uid) throw new Error(`${dir} is owned by uid ${st.uid}, not by vigil's user (uid ${uid}); remove it`);
  chownSync(dir, uid, gid);
  chmodSync(dir, SOCKET_DIR_MODE);
}

/** Whether something accepts connections on the unix socket `path` (within 500ms). */
function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect(path);
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.once("connect", () => done(true));
    sock.once("error", () => done(false));
    sock.setTimeout(500, () => done(false));
  });
}

/** Removes a socket left by an earlier run; refuses anything that is not a socket, and a socket that
 * still answers (another daemon with the same API address in another network namespace). */
async function removeStale(path: string): Promise<void> {
  let isSocket: boolean;
  try {
    isSocket = lstatSync(path).isSocket();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
    throw err;
  }
  if (!isSocket) throw new Error(`${path} exists and is not a socket; remove it`);
  if (await answers(path)) throw new Error(`${path} is served by another process (another vigil daemon?)`);
  unlinkSync(path);
}

/** Starts the trusted API on the unix socket `path` with group `gid`; resolves once it listens. Throws
 * (rejects) saying what is wrong when the directory or socket cannot be made safe. */
export async function startLocalApi(path: string, backend: ApiBackend, gid: number): Promise<Server> {
  prepareDir(dirname(path), gid);
  await removeStale(path);
  const server = createServer(SERVER_OPTIONS, apiListener(backend, { trusted: true }));
  applyLimits(server, SOCKET_MAX_CONNECTIONS);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(path, () => {
      server.off("error", reject);
      resolve();
    });
  });
  try {
    chownSync(path, process.geteuid?.() ?? 0, gid);
    chmodSync(path, SOCKET_MODE);
  } catch (err) {
    server.close();
    throw err;
  }
  return server;
}
