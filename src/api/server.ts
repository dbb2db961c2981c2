// The daemon's HTTP API: state for anyone who can reach it, commands only with the bearer token (over
// TCP) or over the local unix socket (whose file permissions are the credential; see local-socket.ts).
// Every request goes through one error boundary: a malformed target is 400, a handler that throws is
// 500 for that request, never a crash. Over TCP the Host header must name this API (host-check.ts);
// request bodies are refused; connections and header/request times are capped (limits.ts).
//   GET  /                               the live web page (src/api/web/)
//   GET  /status                         this node's full state (JSON)
//   GET  /events[?limit=N]               recent decisions and resource events (JSON, newest last)
//   GET  /metrics                        Prometheus metrics
//   GET  /history                        what this node remembers of the last api.history window (JSON):
//                                        group states per node, decisions, heartbeat gaps, checks, traffic
//   GET  /health/primary/GROUP           200 only on the node that runs GROUP, 503 elsewhere
//   GET  /db/GROUP/explain               a database group: who would be promoted now, why, what it would lose
//   POST /nodes/NODE/standby | /online   put a node in standby or back online
//   POST /groups/GROUP/move?node=NODE    move a group (stops it there before it starts elsewhere)
//   POST /groups/GROUP/cleanup           forget the group's failures on every node
//   POST /maintenance/on | /off          stop / resume touching resources, cluster-wide
//   POST /db/GROUP/force                 promote past unheard replicas: the promotion of GROUP waiting on
//                                        this node (never past divergence; 409 when none waits here)
// Commands are carried out by the leader, whichever node receives them.
// Fault injection for tests, only when `vigil run` has VIGIL_FAULT_INJECTION=1 (404 otherwise), with the
// token; each answers 202 and then acts:
//   POST /debug/crash-worker             the cluster thread throws an uncaught error
//   POST /debug/block-main?ms=N          the main thread blocks synchronously for N ms
//   POST /debug/hang-worker?ms=N         the cluster thread busy-blocks for N ms
//   POST /debug/kill-guard               the cluster thread SIGKILLs its VIP guard process
import { timingSafeEqual, createHash } from "node:crypto";
import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from "node:http";
import type { Command } from "../core/cluster/admin.js";
import type { Endpoint, Ip } from "../core/net/address.js";
import { hostAllowed } from "./host-check.js";
import { applyLimits, SERVER_OPTIONS } from "./limits.js";
import { isTargetError, parseTarget, type RequestTarget } from "./request-target.js";
import { serveWeb } from "./web/routes.js";

/** The result of a command as the leader reported it. */
export interface CommandOutcome {
  ok: boolean;
  message: string;
}

/** One entry of the recent-events log. */
export interface EventEntry {
  at: number;
  node: string;
  text: string;
}

/** A fault to inject (tests only). */
export type DebugFault = { kind: "crash-worker" | "kill-guard" } | { kind: "block-main" | "hang-worker"; ms: number };

/** Longest block or hang a fault may ask for, ms. */
const MAX_FAULT_MS = 600_000;

/** The part of a node's status the API itself reads: group states, held groups, and (when known) the
 * node's name and peers, so that commands naming unknown groups or nodes are 404 here. */
export interface ApiStatus {
  groups: Record<string, string>;
  holds: string[];
  name?: string;
  peers?: { name: string }[];
}

/** What the API reads state through and sends commands to. */
export interface ApiBackend {
  status(): Promise<ApiStatus>;
  events(): EventEntry[];
  metrics(): Promise<string>;
  /** The node's in-memory history (GET /history; 404 when absent). */
  history?(): unknown;
  command(cmd: Command): Promise<CommandOutcome>;
  /** The bearer token; without one, commands over TCP are refused. */
  token: string | undefined;
  /** Injects a fault (present only with VIGIL_FAULT_INJECTION=1); called once the 202 is sent. */
  injectFault?(fault: DebugFault): void;
  /** `vigil db explain GROUP` (undefined: no such database group). */
  dbExplain?(group: string): Promise<unknown>;
  /** `vigil db force GROUP` on this node (undefined: no such database group). */
  dbForce?(group: string): Promise<CommandOutcome | undefined>;
  /** Called with every error a handler threw (the request got a 500); for the log. */
  onError?(err: Error, what: string): void;
}

/** How a listener serves: over TCP (Host checked, token for commands) or the trusted local socket. */
export interface ListenerOptions {
  /** True for the local unix socket: commands need no token (file permissions are the credential). */
  trusted: boolean;
  /** Over TCP: the listen address the Host header is checked against. */
  listenIp?: Ip;
  /** Over TCP: the names in api.allowed_hosts (read on every request, so a reload takes effect). */
  allowedHosts?: () => readonly string[];
}

/** An error answer: a stable code and a message saying what to do. */
interface ApiError {
  code: string;
  error: string;
}

function send(res: ServerResponse, code: number, body: unknown): void {
  res.writeHead(code, { "content-type": "application/json", "x-content-type-options": "nosniff" });
  res.end(`${JSON.stringify(body, null, 2)}\n`);
}

/** Sends an error answer and closes the connection once it is out (what follows may be garbage). */
function refuse(res: ServerResponse, status: number, body: ApiError): void {
  res.shouldKeepAlive = false;
  send(res, status, body);
}

/** Constant-time token comparison (hashes first so lengths never leak either). */
function tokenMatches(given: string, expected: string): boolean {
  const a = createHash("sha256").update(given).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b);
}

/** The newest `limit` events (all when the limit is absent or not a positive integer). */
function lastEvents(events: EventEntry[], limit: string | null): EventEntry[] {
  const n = Number(limit);
  return limit !== null && Number.isInteger(n) && n > 0 ? events.slice(-n) : events;
}

/** Maps a request to a command, or undefined when the path is not a command. */
export function commandFor(method: string, t: RequestTarget): Command | undefined {
  if (method !== "POST") return undefined;
  const p = t.segments;
  if (p[0] === "nodes" && p.length === 3 && p[1] && (p[2] === "standby" || p[2] === "online"))
    return { kind: p[2], node: p[1] };
  if (p[0] === "groups" && p.length === 3 && p[1] && p[2] === "move")
    return { kind: "move", group: p[1], node: t.query.get("node") ?? "" };
  if (p[0] === "groups" && p.length === 3 && p[1] && p[2] === "cleanup") return { kind: "cleanup", group: p[1] };
  if (p[0] === "maintenance" && p.length === 2 && (p[1] === "on" || p[1] === "off"))
    return { kind: "maintenance", on: p[1] === "on" };
  return undefined;
}

/** Maps a request to a fault, an error text for a bad one, or undefined when the path is not a fault. */
export function faultFor(method: string, t: RequestTarget): DebugFault | string | undefined {
  const m = /^\/debug\/(crash-worker|block-main|hang-worker|kill-guard)$/.exec(t.path);
  if (method !== "POST" || !m) return undefined;
  const kind = m[1] as DebugFault["kind"];
  if (kind === "crash-worker" || kind === "kill-guard") return { kind };
  const ms = Number(t.query.get("ms"));
  if (!Number.isInteger(ms) || ms <= 0 || ms > MAX_FAULT_MS)
    return `say how long: POST ${t.path}?ms=N (1..${MAX_FAULT_MS})`;
  return { kind, ms };
}

/** The bearer token of an Authorization header: printable ASCII only, so `Bearer \xa0` is no token. */
function bearer(header: string | undefined): string | undefined {
  return /^Bearer +([\x21-\x7e]+) *$/.exec(header ?? "")?.[1];
}

/** Whether the request may run a command; answers 403 or 401 itself when not. Requests over the local
 * socket are trusted (the socket's owner and mode decide who can connect). */
function authorized(req: IncomingMessage, res: ServerResponse, backend: ApiBackend, o: ListenerOptions): boolean {
  if (o.trusted) return true;
  const expected = backend.token;
  if (expected === undefined || expected === "") {
    send(res, 403, {
      code: "E_API_NO_TOKEN",
      error: "commands over TCP are disabled: set api.token_file in the config, or use the local socket",
    });
    return false;
  }
  const given = bearer(req.headers.authorization);
  if (given === undefined || !tokenMatches(given, expected)) {
    send(res, 401, { code: "E_API_TOKEN", error: "missing or wrong bearer token (see api.token_file)" });
    return false;
  }
  return true;
}

/** Answers a fault request with 202, then injects it once the answer is out. */
function injectFault(
  req: IncomingMessage,
  res: ServerResponse,
  backend: ApiBackend,
  o: ListenerOptions,
  fault: DebugFault | string,
): void {
  const inject = backend.injectFault?.bind(backend);
  if (!inject || !authorized(req, res, backend, o)) return;
  if (typeof fault === "string") return send(res, 400, { code: "E_API_BAD_REQUEST", error: fault });
  res.once("finish", () => setImmediate(() => inject(fault)));
  send(res, 202, { ok: true, message: `injecting ${fault.kind}${"ms" in fault ? ` for ${fault.ms}ms` : ""}` });
}

/** Why a command names a group or node this node does not know, or undefined when it names none. */
function unknownName(cmd: Command, s: ApiStatus): string | undefined {
  const groups = Object.keys(s.groups);
  const nodes =
    s.name === undefined || s.peers === undefined ? undefined : [s.name, ...s.peers.map((p) => p.name)].sort();
  if ("group" in cmd && !Object.hasOwn(s.groups, cmd.group))
    return `no group named "${cmd.group}" (groups: ${groups.join(", ") || "none"})`;
  if ("node" in cmd && nodes !== undefined && !nodes.includes(cmd.node))
    return `no node named "${cmd.node}" (nodes: ${nodes.join(", ")})`;
  return undefined;
}

/** Why the request's framing is refused (a body, or a Host this API does not answer to), or undefined. */
function framingError(req: IncomingMessage, o: ListenerOptions): { status: number; body: ApiError } | undefined {
  const length = req.headers["content-length"];
  if ((length !== undefined && length !== "0") || req.headers["transfer-encoding"] !== undefined)
    return {
      status: 413,
      body: { code: "E_API_BODY", error: "request bodies are not accepted: commands take their arguments in the path" },
    };
  if (!o.trusted && o.listenIp && !hostAllowed(req.headers.host, o.listenIp, o.allowedHosts?.() ?? []))
    return {
      status: 421,
      body: {
        code: "E_API_HOST",
        error: `this API does not answer to Host ${JSON.stringify(req.headers.host)}: use its listen address, or add the name to api.allowed_hosts`,
      },
    };
  return undefined;
}

async function handle(req: IncomingMessage, res: ServerResponse, backend: ApiBackend, o: ListenerOptions) {
  const method = req.method ?? "";
  const bad = framingError(req, o);
  if (bad) return refuse(res, bad.status, bad.body);
  const t = parseTarget(req.url);
  if (isTargetError(t)) return refuse(res, t.status, { code: "E_API_BAD_REQUEST", error: t.error });
  if (method === "GET" && t.path === "/status") return send(res, 200, await backend.status());
  if (serveWeb(method, t.path, res)) return;
  if (method === "GET" && t.path === "/events")
    return send(res, 200, lastEvents(backend.events(), t.query.get("limit")));
  if (method === "GET" && t.path === "/history" && backend.history) return send(res, 200, backend.history());
  if (method === "GET" && t.path === "/metrics") {
    const text = await backend.metrics();
    res.writeHead(200, { "content-type": "text/plain; version=0.0.4; charset=utf-8" });
    res.end(text);
    return;
  }
  const [first, second, group, ...rest] = t.segments;
  if (method === "GET" && first === "health" && second === "primary" && group && rest.length === 0) {
    let s: ApiStatus;
    try {
      s = await backend.status();
    } catch (err) {
      return send(res, 503, { code: "E_API_UNAVAILABLE", error: (err as Error).message });
    }
    if (!Object.hasOwn(s.groups, group))
      return send(res, 404, { code: "E_API_NOT_FOUND", error: `no group named "${group}"` });
    const here = s.groups[group] === "running" && s.holds.includes(group);
    return send(res, here ? 200 : 503, { group, primary: here });
  }
  if (method === "GET" && first === "db" && second && group === "explain" && rest.length === 0) {
    const e = backend.dbExplain ? await backend.dbExplain(second) : undefined;
    if (e === undefined)
      return send(res, 404, { code: "E_API_NOT_FOUND", error: `no database group named "${second}"` });
    return send(res, 200, e);
  }
  if (method === "POST" && first === "db" && second && group === "force" && rest.length === 0) {
    if (!authorized(req, res, backend, o)) return;
    const r = backend.dbForce ? await backend.dbForce(second) : undefined;
    if (r === undefined)
      return send(res, 404, { code: "E_API_NOT_FOUND", error: `no database group named "${second}"` });
    return send(res, r.ok ? 200 : 409, r.ok ? r : { ...r, code: "E_NOT_WAITING", error: r.message });
  }
  const fault = backend.injectFault ? faultFor(method, t) : undefined;
  if (fault !== undefined) return injectFault(req, res, backend, o, fault);
  const cmd = commandFor(method, t);
  if (!cmd) return send(res, 404, { code: "E_API_NOT_FOUND", error: `no such endpoint: ${method} ${t.path}` });
  if (!authorized(req, res, backend, o)) return;
  if (cmd.kind === "move" && cmd.node === "")
    return send(res, 400, { code: "E_API_BAD_REQUEST", error: "say where to: POST /groups/GROUP/move?node=NODE" });
  const unknown = unknownName(cmd, await backend.status());
  if (unknown) return send(res, 404, { code: "E_API_NOT_FOUND", ok: false, message: unknown, error: unknown });
  const r = await backend.command(cmd);
  send(res, r.ok ? 200 : 409, r);
}

/** The request listener: `handle` inside the error boundary. Whatever a handler throws becomes a 500
 * for that request (or a closed connection when the answer had begun) and a call to onError. */
export function apiListener(backend: ApiBackend, o: ListenerOptions): RequestListener {
  return (req, res) => {
    Promise.resolve()
      .then(() => handle(req, res, backend, o))
      .catch((err: unknown) => {
        const e = err instanceof Error ? err : new Error(String(err));
        try {
          backend.onError?.(e, `${req.method} ${String(req.url).slice(0, 200)}`);
        } catch {
          // the boundary must not throw
        }
        if (res.headersSent) return void res.destroy();
        try {
          refuse(res, 500, { code: "E_API_INTERNAL", error: `internal error: ${e.message} (see the daemon's log)` });
        } catch {
          res.destroy();
        }
      });
  };
}

/** Starts the API on `listen`; resolves once it is listening. `allowedHosts` are the names of
 * api.allowed_hosts (read per request). */
export async function startApi(
  listen: Endpoint,
  backend: ApiBackend,
  allowedHosts: () => readonly string[] = () => [],
): Promise<Server> {
  const server = createServer(
    SERVER_OPTIONS,
    apiListener(backend, { trusted: false, listenIp: listen.ip, allowedHosts }),
  );
  applyLimits(server);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(listen.port, listen.ip.text, () => {
      server.off("error", reject);
      resolve();
    });
  });
  return server;
}
