// HTTP and HTTPS health checks: one request on a fresh connection, judged by status code and
// optionally by a substring of the body; the timeout covers connect, TLS, response and body.
import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { isIP } from "node:net";
import { deadline, describeSocketError, elapsed, type CheckResult, type CheckTarget } from "./result.js";

/** Most body read when looking for `expectBody`. */
export const BODY_LIMIT = 64 * 1024;

/** What to ask and what to expect. */
export interface HttpCheckOptions {
  /** HTTPS instead of HTTP. */
  tls: boolean;
  method: "GET" | "HEAD" | "POST" | "OPTIONS";
  /** Request path, e.g. /health. */
  path: string;
  /** Host header and, when it is a name, the TLS server name (SNI); default IP:PORT of the target. */
  host?: string;
  /** Status codes that count as healthy. */
  expectStatus: readonly number[];
  /** Text the first 64 KiB of the body must contain. */
  expectBody?: string;
  /** HTTPS: reject certificates that do not verify (default true). */
  tlsVerify: boolean;
  timeoutMs: number;
  signal?: AbortSignal;
}

/** The name to send as SNI: the Host header without port when it is a name, else none (""). */
function serverName(host: string): string {
  if (host.startsWith("[")) return "";
  const name = host.split(":").length === 2 ? (host.split(":")[0] ?? "") : host;
  return isIP(name) === 0 ? name : "";
}

/** A request error in words: certificate problems, TLS failures, bad responses, socket errors. */
function describeRequestError(err: NodeJS.ErrnoException): string {
  const code = err.code ?? "";
  if (/CERT|SIGNATURE|ISSUER/.test(code)) return `certificate: ${err.message}`;
  if (code.startsWith("ERR_SSL") || code.startsWith("ERR_TLS")) return `TLS: ${err.message}`;
  if (code.startsWith("HPE_")) return `not a valid HTTP response: ${err.message}`;
  if (code === "ECONNRESET" && err.message === "socket hang up") return "connection closed before a response";
  return describeSocketError(err);
}

/** Sends one request to `target` and judges the answer. Never throws. */
export function checkHttp(target: CheckTarget, opts: HttpCheckOptions): Promise<CheckResult> {
  const started = performance.now();
  const host = opts.host ?? (isIP(target.ip) === 6 ? `[${target.ip}]:${target.port}` : `${target.ip}:${target.port}`);
  return new Promise((resolve) => {
    let done = false;
    let phase = "connecting";
    let res: IncomingMessage | undefined;
    const finish = (ok: boolean, detail: string) => {
      if (done) return;
      done = true;
      cancelDeadline();
      opts.signal?.removeEventListener("abort", onAbort);
      res?.destroy();
      req.destroy();
      resolve({ ok, detail, latencyMs: elapsed(started) });
    };
    const onAbort = () => finish(false, "check cancelled");
    const cancelDeadline = deadline(opts.timeoutMs, () =>
      finish(false, `timed out after ${opts.timeoutMs}ms ${phase}`),
    );
    const send = opts.tls ? httpsRequest : httpRequest;
    const req = send({
      host: target.ip,
      port: target.port,
      method: opts.method,
      path: opts.path,
      agent: false,
      headers: {
        Host: host,
        "User-Agent": "vigil-health-check",
        Connection: "close",
        ...(opts.method === "POST" ? { "Content-Length": "0" } : {}),
      },
      ...(opts.tls ? { rejectUnauthorized: opts.tlsVerify, servername: serverName(host) } : {}),
    });
    req.once("socket", (socket) =>
      socket.once(opts.tls ? "secureConnect" : "connect", () => (phase = "waiting for the response")),
    );
    req.on("error", (err) => finish(false, describeRequestError(err)));
    req.once("response", (r) => {
      res = r;
      r.on("error", (err) => finish(false, describeRequestError(err)));
      const status = r.statusCode ?? 0;
      if (!opts.expectStatus.includes(status))
        return finish(false, `HTTP ${status} (expected ${opts.expectStatus.join(", ")})`);
      const passed = () => finish(true, `HTTP ${status} in ${Math.round(performance.now() - started)}ms`);
      const needle = opts.expectBody;
      if (needle === undefined) return passed();
      if (opts.method === "HEAD") return finish(false, `body lacks "${needle}" (a HEAD response has no body)`);
      phase = "reading the body";
      readUntil(r, Buffer.from(needle), (found, cut) => {
        if (found) passed();
        else finish(false, `body lacks "${needle}"${cut ? ` in its first ${BODY_LIMIT / 1024} KiB` : ""}`);
      });
    });
    if (opts.signal?.aborted) onAbort();
    else opts.signal?.addEventListener("abort", onAbort, { once: true });
    req.end();
  });
}

/** Reads `body` until `needle` appears, the body ends, or BODY_LIMIT bytes were read. */
function readUntil(body: IncomingMessage, needle: Buffer, done: (found: boolean, cut: boolean) => void): void {
  let seen = Buffer.alloc(0);
  body.on("data", (chunk: Buffer) => {
    const from = Math.max(0, seen.length - needle.length + 1);
    seen = Buffer.concat([seen, chunk.subarray(0, BODY_LIMIT - seen.length)]);
    if (seen.indexOf(needle, from) >= 0) done(true, false);
    else if (seen.length >= BODY_LIMIT) done(false, true);
  });
  body.once("end", () => done(seen.includes(needle), false));
}
