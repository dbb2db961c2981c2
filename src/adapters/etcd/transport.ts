// HTTP to etcd's v3 JSON gateway with failover between endpoints: one POST per call, or one long
// streamed POST (watch). Built on node:http/https so that TLS client certificates, per-request time
// limits and connection reuse need no dependency. Each call either returns the parsed answer or throws
// an EtcdError; nothing is retried where a retry could apply a non-idempotent request twice.
import { Agent as HttpAgent, request as httpRequest, type ClientRequest, type IncomingMessage } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { EtcdError } from "./errors.js";

/** Largest answer read, bytes (a range over every key of a big cluster stays far below). */
export const MAX_RESPONSE_BYTES = 32 * 1024 * 1024;

/** TLS material for https endpoints (PEM contents, already read). */
export interface EtcdTls {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

/** How to reach etcd. */
export interface EtcdTransportOptions {
  /** Client URLs (`http://IP:PORT`), tried in order from the last one that answered. */
  endpoints: readonly string[];
  tls?: EtcdTls;
  /** Time limit of one attempt on one endpoint, ms (default 1000). */
  requestTimeoutMs?: number;
}

/** When a failed attempt may be repeated on the next endpoint. */
export type RetryPolicy =
  /** The request is safe to apply twice (reads, keepalives, guarded writes that are idempotent). */
  | "any"
  /** Only when the connection was refused or never made: the request cannot have been applied. */
  | "connect";

/** A streamed answer: one callback per JSON message, until the stream ends or is closed. */
export interface EtcdStream {
  /** Ends the stream; its `done` resolves. */
  close(): void;
  /** Resolves when the stream ended by itself or was closed; rejects with an EtcdError on failure. */
  readonly done: Promise<void>;
  /** The endpoint it is connected to. */
  readonly endpoint: string;
}

const CONNECT_ERRORS = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EAI_AGAIN",
  "EADDRNOTAVAIL",
]);
/** gRPC UNAVAILABLE: the member refused before applying (no leader, stopping, too many requests). */
const GRPC_UNAVAILABLE = 14;

class Attempt extends Error {
  constructor(
    readonly error: EtcdError,
    readonly beforeSend: boolean,
  ) {
    super(error.message);
  }
}

/** HTTP(S) client of the v3 JSON gateway over several endpoints. */
export class EtcdTransport {
  readonly endpoints: readonly string[];
  private current = 0;
  private readonly timeoutMs: number;
  private readonly agent: HttpAgent;
  private readonly open = new Set<ClientRequest>();
  private closed = false;

  constructor(private readonly opts: EtcdTransportOptions) {
    if (opts.endpoints.length === 0) throw new Error("etcd: at least one endpoint is required");
    this.endpoints = opts.endpoints.map((e) => e.replace(/\/+$/, ""));
    this.timeoutMs = opts.requestTimeoutMs ?? 1000;
    const https = this.endpoints[0]?.startsWith("https:") ?? false;
    this.agent = https
      ? new HttpsAgent({ keepAlive: true, ca: opts.tls?.ca, cert: opts.tls?.cert, key: opts.tls?.key })
      : new HttpAgent({ keepAlive: true });
  }

  /** The endpoint the next call tries first. */
  get preferred(): string {
    return this.endpoints[this.current] ?? "";
  }

  /** POSTs `body` to `path` (e.g. /v3/kv/range) and returns the parsed JSON answer. Streamed endpoints
   * (keepalive) answer `{"result": ...}` lines: the first result is returned. */
  async call(
    path: string,
    body: unknown,
    opts: { retry: RetryPolicy; timeoutMs?: number; streamed?: boolean; method?: "GET" | "POST" },
  ): Promise<Record<string, unknown>> {
    const failures: EtcdError[] = [];
    const first = this.current;
    for (let i = 0; i < this.endpoints.length; i++) {
      if (this.closed) throw new EtcdError("E_ETCD_CLOSED", "etcd client closed");
      const index = (first + i) % this.endpoints.length;
      const endpoint = this.endpoints[index] ?? "";
      try {
        const answer = await this.once(
          endpoint,
          path,
          body,
          opts.timeoutMs ?? this.timeoutMs,
          opts.streamed ?? false,
          opts.method ?? "POST",
        );
        this.current = index;
        return answer;
      } catch (err) {
        if (!(err instanceof Attempt)) throw err;
        const e = err.error;
        // etcd's own refusal (a bad request, a lease not found) is the answer: another member gives the same.
        if (e.code === "E_ETCD_LEASE_LOST" || (e.code === "E_ETCD_REQUEST" && e.grpcCode !== GRPC_UNAVAILABLE)) {
          this.current = index;
          throw e;
        }
        failures.push(new EtcdError(e.code, `${endpoint}: ${e.detail}`, e.grpcCode));
        this.current = (index + 1) % this.endpoints.length; // the next call starts elsewhere
        if (!(err.beforeSend || opts.retry === "any")) throw e;
      }
    }
    if (failures.length === 1 && failures[0]) throw failures[0];
    throw new EtcdError(
      "E_ETCD_UNAVAILABLE",
      `no etcd endpoint answered ${path}: ${failures.map((f) => f.message).join("; ")}`,
    );
  }

  /** Opens a streamed POST (watch) on the preferred endpoint; `onMessage` gets each JSON message. A
   * failure to connect moves the preferred endpoint on, so the next stream tries another. */
  stream(path: string, body: unknown, onMessage: (message: Record<string, unknown>) => void): EtcdStream {
    const index = this.current;
    const endpoint = this.endpoints[index] ?? "";
    let req: ClientRequest | undefined;
    let closedByUs = false;
    const done = new Promise<void>((resolve, reject) => {
      if (this.closed) return reject(new EtcdError("E_ETCD_CLOSED", "etcd client closed"));
      const fail = (e: EtcdError) => {
        if (closedByUs) return resolve();
        if (this.current === index) this.current = (index + 1) % this.endpoints.length;
        reject(e);
      };
      req = this.request(endpoint, path, (res) => {
        if (res.statusCode !== 200) return void readAll(res).then((t) => fail(httpError(res.statusCode, t)), fail);
        let buf = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          buf += chunk;
          let nl: number;
          while ((nl = buf.indexOf("\n")) >= 0) {
            const line = buf.slice(0, nl).trim();
            buf = buf.slice(nl + 1);
            if (line === "") continue;
            try {
              onMessage(parseJson(line));
            } catch (err) {
              req?.destroy();
              return fail(err instanceof EtcdError ? err : new EtcdError("E_ETCD_PROTOCOL", (err as Error).message));
            }
          }
          if (buf.length > MAX_RESPONSE_BYTES) {
            req?.destroy();
            fail(new EtcdError("E_ETCD_PROTOCOL", "a streamed message is larger than the limit"));
          }
        });
        res.on("end", () =>
          closedByUs ? resolve() : fail(new EtcdError("E_ETCD_UNAVAILABLE", `${endpoint}: the stream ended`)),
        );
        res.on("error", (err) => fail(new EtcdError("E_ETCD_UNAVAILABLE", `${endpoint}: ${err.message}`)));
      });
      req.on("error", (err) => fail(new EtcdError("E_ETCD_UNAVAILABLE", `${endpoint}: ${describeError(err)}`)));
      req.on("close", () => {
        if (req) this.open.delete(req);
        if (closedByUs) resolve();
      });
      req.end(JSON.stringify(body));
    });
    return {
      endpoint,
      done,
      close: () => {
        closedByUs = true;
        req?.destroy();
      },
    };
  }

  /** Moves the preferred endpoint off `endpoint` (it answered nothing for too long). */
  avoid(endpoint: string): void {
    if (this.endpoints[this.current] === endpoint) this.current = (this.current + 1) % this.endpoints.length;
  }

  /** Aborts every request in flight and closes idle connections; later calls fail with E_ETCD_CLOSED. */
  close(): void {
    this.closed = true;
    for (const r of this.open) r.destroy();
    this.agent.destroy();
  }

  private request(
    endpoint: string,
    path: string,
    onResponse: (res: IncomingMessage) => void,
    method: "GET" | "POST" = "POST",
  ): ClientRequest {
    const url = new URL(path, `${endpoint}/`);
    const make = url.protocol === "https:" ? httpsRequest : httpRequest;
    const req = make(url, { method, agent: this.agent, headers: { "content-type": "application/json" } }, onResponse);
    this.open.add(req);
    return req;
  }

  private once(
    endpoint: string,
    path: string,
    body: unknown,
    timeoutMs: number,
    streamed: boolean,
    method: "GET" | "POST",
  ): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      let sent = false;
      let settled = false;
      const settle = (fn: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.open.delete(req);
        fn();
      };
      const req = this.request(
        endpoint,
        path,
        (res) => {
          readAll(res).then(
            (text) =>
              settle(() => {
                if (res.statusCode !== 200) {
                  const e = httpError(res.statusCode, text);
                  return reject(new Attempt(e, e.grpcCode === GRPC_UNAVAILABLE));
                }
                try {
                  resolve(streamed ? firstResult(text) : parseJson(text));
                } catch (err) {
                  reject(new Attempt(err as EtcdError, false));
                }
              }),
            (err: Error) =>
              settle(() => reject(new Attempt(new EtcdError("E_ETCD_UNAVAILABLE", describeError(err)), false))),
          );
        },
        method,
      );
      const timer = setTimeout(() => {
        settle(() =>
          reject(new Attempt(new EtcdError("E_ETCD_TIMEOUT", `${path}: no answer within ${timeoutMs}ms`), !sent)),
        );
        req.destroy();
      }, timeoutMs);
      req.on("error", (err: NodeJS.ErrnoException) =>
        settle(() =>
          reject(
            new Attempt(
              new EtcdError("E_ETCD_UNAVAILABLE", describeError(err)),
              !sent || CONNECT_ERRORS.has(err.code ?? ""),
            ),
          ),
        ),
      );
      req.on("socket", (socket) => {
        // A request counts as sent once its connection is up (or reused): before that it cannot have been applied.
        if (!socket.connecting) sent = true;
        else socket.once("connect", () => (sent = true));
      });
      if (method === "GET") req.end();
      else req.end(JSON.stringify(body));
    });
  }
}

function describeError(err: Error & { code?: string }): string {
  return err.code ? `${err.code} (${err.message})` : err.message;
}

function readAll(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    res.on("data", (c: Buffer) => {
      size += c.length;
      if (size > MAX_RESPONSE_BYTES) {
        res.destroy();
        reject(new Error(`answer larger than ${MAX_RESPONSE_BYTES} bytes`));
      } else chunks.push(c);
    });
    res.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    res.on("error", reject);
    res.on("aborted", () => reject(new Error("answer cut short")));
  });
}

function parseJson(text: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new EtcdError("E_ETCD_PROTOCOL", `expected JSON, got ${JSON.stringify(text.slice(0, 120))}`);
  }
  if (v === null || typeof v !== "object" || Array.isArray(v))
    throw new EtcdError("E_ETCD_PROTOCOL", `expected a JSON object, got ${JSON.stringify(text.slice(0, 120))}`);
  return v as Record<string, unknown>;
}

/** The first `{"result": ...}` of a streamed answer; an `{"error": ...}` line is an etcd error. */
function firstResult(text: string): Record<string, unknown> {
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    const m = parseJson(line);
    if (m.error !== undefined) throw grpcError(m.error);
    if (m.result !== undefined && m.result !== null && typeof m.result === "object")
      return m.result as Record<string, unknown>;
  }
  throw new EtcdError("E_ETCD_PROTOCOL", "the streamed answer held no result");
}

/** An `{"error", "code", "message"}` body (or a streamed error object) as an EtcdError. */
export function grpcError(v: unknown, status?: number): EtcdError {
  const e = (v && typeof v === "object" ? v : {}) as Record<string, unknown>;
  const code = typeof e.code === "number" ? e.code : typeof e.grpc_code === "number" ? e.grpc_code : undefined;
  const message = String(e.message ?? e.error ?? "unknown error");
  if (/lease not found/.test(message)) return new EtcdError("E_ETCD_LEASE_LOST", `etcd: ${message}`, code);
  return new EtcdError(
    "E_ETCD_REQUEST",
    `etcd answered ${status !== undefined ? `HTTP ${status}, ` : ""}gRPC code ${code ?? "?"}: ${message}`,
    code,
  );
}

function httpError(status: number | undefined, text: string): EtcdError {
  try {
    return grpcError(JSON.parse(text), status);
  } catch {
    return new EtcdError("E_ETCD_REQUEST", `etcd answered HTTP ${status}: ${text.slice(0, 200)}`);
  }
}
