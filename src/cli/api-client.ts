// How the CLI reaches a daemon's API, and when it hands over the token.
// - Local use (no --api): the CLI talks to the daemon's local unix socket when socketProblem() finds it
//   safe (owned by root in a directory only root can write), and sends no token: the socket's
//   permissions are the credential. Without a usable socket, reads go over TCP with no token, and
//   commands are refused with what to do.
// - Remote use (--api IP:PORT given): everything goes over TCP to that address; reads carry no token,
//   and commands carry the token of --token-file or api.token_file (held to the key file's rules).
// So the token is only ever sent to an address the user named on the command line.
import { request } from "node:http";
import { loadConfigFile } from "../adapters/config-file.js";
import { readSecretFile, TOKEN_SECRET } from "../adapters/secret-file.js";
import { apiSocketPath } from "../api/socket-path.js";
import { parseEndpoint, type Endpoint } from "../core/net/address.js";
import { runtimeDir } from "../daemon/guard-pidfile.js";
import { socketProblem } from "./local-socket-check.js";

/** Where and how to reach the API. */
export interface ApiTarget {
  /** The API's TCP address as given (api.listen, --api, or the default). */
  listen: string;
  /** The same, parsed. */
  endpoint: Endpoint;
  /** Whether the user named the address with --api (remote use: commands go over TCP with the token). */
  remote: boolean;
  /** The local socket to use instead of TCP, when one passed socketProblem(). */
  socket: string | undefined;
  /** Why no local socket is used (for the message when a command cannot be sent). */
  noSocket: string | undefined;
  /** The token file for commands over TCP (read only when such a command is sent). */
  tokenFile: string | undefined;
}

/** Thrown with a message for the user; the CLI prints it and exits 1. */
export class CliError extends Error {}

/** Resolves the API address, the local socket and the token file from `-c FILE` and/or `--api` /
 * `--token-file`. */
export function apiTarget(opts: { config?: string; api?: string; tokenFile?: string }): ApiTarget {
  let listen = opts.api;
  let tokenFile = opts.tokenFile;
  if (opts.config) {
    const r = loadConfigFile(opts.config, { checkKeyFile: false });
    if (!r.ok) throw new CliError(`${opts.config} is not a valid config; run: vigil check -c ${opts.config}`);
    listen ??= r.config.api.listen;
    tokenFile ??= r.config.api.token_file;
  }
  listen ??= "127.0.0.1:7480";
  const endpoint = parseEndpoint(listen);
  if (!endpoint) throw new CliError(`--api ${listen}: expected IP:PORT such as 127.0.0.1:7480`);
  const remote = opts.api !== undefined;
  const path = apiSocketPath(runtimeDir(), endpoint);
  const problem = remote ? "--api was given" : socketProblem(path);
  return { listen, endpoint, remote, socket: problem ? undefined : path, noSocket: problem, tokenFile };
}

/** Reads the token for a command over TCP; throws CliError saying what to do. */
function tokenFor(t: ApiTarget): string {
  if (!t.tokenFile)
    throw new CliError(
      `a command over TCP needs the API token: give --token-file FILE (or -c FILE with api.token_file)`,
    );
  const r = readSecretFile(t.tokenFile, TOKEN_SECRET);
  if (!r.ok) throw new CliError(`cannot use the API token: ${r.message}`);
  return r.secret;
}

/** Largest answer read, bytes. */
const MAX_ANSWER_BYTES = 16 * 1024 * 1024;

/** One HTTP exchange over the socket or TCP; resolves with the status and parsed JSON (or {}). */
function exchange(
  t: ApiTarget,
  method: "GET" | "POST",
  path: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: unknown }> {
  const where = t.socket
    ? { socketPath: t.socket }
    : { host: t.endpoint.ip.text, port: t.endpoint.port, family: t.endpoint.ip.family };
  return new Promise((resolve, reject) => {
    const req = request({ ...where, method, path, headers: { ...headers, "content-length": "0" }, timeout: 10_000 });
    req.on("timeout", () => req.destroy(new Error("timed out")));
    req.on("error", reject);
    req.on("response", (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on("data", (c: Buffer) => {
        size += c.length;
        if (size > MAX_ANSWER_BYTES) return void res.destroy(new Error("answer too large"));
        chunks.push(c);
      });
      res.on("error", reject);
      res.on("end", () => {
        let body: unknown = {};
        try {
          body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
        } catch {
          // not JSON: keep {}
        }
        resolve({ status: res.statusCode ?? 0, body });
      });
    });
    req.end();
  });
}

/** Calls the API; throws CliError with a clear reason on any failure. Reads never carry the token;
 * commands carry it only over TCP to an address given with --api. */
export async function callApi(t: ApiTarget, method: "GET" | "POST", path: string): Promise<unknown> {
  const headers: Record<string, string> = {};
  if (method === "POST" && !t.socket) {
    if (!t.remote)
      throw new CliError(
        `no usable local vigil socket (${t.noSocket}): run this as root (or a member of api.group) on a node where \`vigil run\` is running, or send the command over TCP with the token: --api IP:PORT --token-file FILE`,
      );
    headers.authorization = `Bearer ${tokenFor(t)}`;
  }
  let res: { status: number; body: unknown };
  try {
    res = await exchange(t, method, path, headers);
  } catch {
    throw new CliError(
      t.socket
        ? `cannot reach the vigil API at ${t.socket}: is \`vigil run\` running on this node?`
        : `cannot reach the vigil API at http://${t.listen}: is \`vigil run\` running on this node? (address from api.listen or --api)`,
    );
  }
  const body = (res.body ?? {}) as { error?: string; message?: string };
  if (res.status === 401)
    throw new CliError(`the API refused the token (401): give the right api.token_file (-c FILE or --token-file FILE)`);
  if (res.status === 403) throw new CliError(body.error ?? "commands are disabled on this node");
  if (res.status < 200 || res.status > 299)
    throw new CliError(body.message ?? body.error ?? `the API answered ${res.status}`);
  return body;
}
