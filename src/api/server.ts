// The daemon's HTTP API: state for anyone who can reach it, commands only with the bearer token.
//   GET  /                               the live web page (src/api/web/)
//   GET  /status                         this node's full state (JSON)
//   GET  /events[?limit=N]               recent decisions and resource events (JSON, newest last)
//   GET  /metrics                        Prometheus metrics
//   GET  /health/primary/GROUP           200 only on the node that runs GROUP, 503 elsewhere
//   POST /nodes/NODE/standby | /online   put a node in standby or back online
//   POST /groups/GROUP/move?node=NODE    move a group (stops it there before it starts elsewhere)
//   POST /groups/GROUP/cleanup           forget the group's failures on every node
//   POST /maintenance/on | /off          stop / resume touching resources, cluster-wide
// Commands are carried out by the leader, whichever node receives them.
// Fault injection for tests, only when `vigil run` has VIGIL_FAULT_INJECTION=1 (404 otherwise), with the
// token; each answers 202 and then acts:
//   POST /debug/crash-worker             the cluster thread throws an uncaught error
//   POST /debug/block-main?ms=N          the main thread blocks synchronously for N ms
//   POST /debug/hang-worker?ms=N         the cluster thread busy-blocks for N ms
//   POST /debug/kill-guard               the cluster thread SIGKILLs its VIP guard process
import { timingSafeEqual, createHash } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Command } from "../core/cluster/admin.js";
import type { Endpoint } from "../core/net/address.js";
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

/** What the API reads state through and sends commands to. */
export interface ApiBackend {
  status(): Promise<{ groups: Record<string, string>; holds: string[] }>;
  events(): EventEntry[];
  metrics(): Promise<string>;
  command(cmd: Command): Promise<CommandOutcome>;
  /** The bearer token; without one, commands are refused. */
  token: string | undefined;
  /** Injects a fault (present only with VIGIL_FAULT_INJECTION=1); called once the 202 is sent. */
  injectFault?(fault: DebugFault): void;
}

function send(res: ServerResponse, code: number, body: unknown): void {
  res.writeHead(code, { "content-type": "application/json" });
  res.end(`${JSON.stringify(body, null, 2)}\n`);
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
export function commandFor(method: string, url: URL): Command | undefined {
  if (method !== "POST") return undefined;
  const p = url.pathname.split("/").filter(Boolean).map(decodeURIComponent);
  if (p[0] === "nodes" && p.length === 3 && p[1] && (p[2] === "standby" || p[2] === "online"))
    return { kind: p[2], node: p[1] };
  if (p[0] === "groups" && p.length === 3 && p[1] && p[2] === "move")
    return { kind: "move", group: p[1], node: url.searchParams.get("node") ?? "" };
  if (p[0] === "groups" && p.length === 3 && p[1] && p[2] === "cleanup") return { kind: "cleanup", group: p[1] };
  if (p[0] === "maintenance" && p.length === 2 && (p[1] === "on" || p[1] === "off"))
    return { kind: "maintenance", on: p[1] === "on" };
  return undefined;
}

/** Maps a request to a fault, an error text for a bad one, or undefined when the path is not a fault. */
export function faultFor(method: string, url: URL): DebugFault | string | undefined {
  const m = /^\/debug\/(crash-worker|block-main|hang-worker|kill-guard)$/.exec(url.pathname);
  if (method !== "POST" || !m) return undefined;
  const kind = m[1] as DebugFault["kind"];
  if (kind === "crash-worker" || kind === "kill-guard") return { kind };
  const ms = Number(url.searchParams.get("ms"));
  if (!Number.isInteger(ms) || ms <= 0 || ms > MAX_FAULT_MS)
    return `say how long: POST ${url.pathname}?ms=N (1..${MAX_FAULT_MS})`;
  return { kind, ms };
}

/** Whether the request carries the right bearer token; answers 403 or 401 itself when not. */
function authorized(req: IncomingMessage, res: ServerResponse, backend: ApiBackend): boolean {
  if (backend.token === undefined) {
    send(res, 403, { error: "commands are disabled: set api.token_file in the config" });
    return false;
  }
  const auth = req.headers.authorization ?? "";
  if (!auth.startsWith("Bearer ") || !tokenMatches(auth.slice(7).trim(), backend.token)) {
    send(res, 401, { error: "missing or wrong bearer token (see api.token_file)" });
    return false;
  }
  return true;
}

/** Answers a fault request with 202, then injects it once the answer is out. */
function injectFault(req: IncomingMessage, res: ServerResponse, backend: ApiBackend, fault: DebugFault | string): void {
  const inject = backend.injectFault?.bind(backend);
  if (!inject || !authorized(req, res, backend)) return;
  if (typeof fault === "string") return send(res, 400, { error: fault });
  res.once("finish", () => setImmediate(() => inject(fault)));
  send(res, 202, { ok: true, message: `injecting ${fault.kind}${"ms" in fault ? ` for ${fault.ms}ms` : ""}` });
}

function handle(req: IncomingMessage, res: ServerResponse, backend: ApiBackend): void {
  const url = new URL(req.url ?? "/", "http://vigil");
  if (req.method === "GET" && url.pathname === "/status") {
    backend.status().then(
      (s) => send(res, 200, s),
      (err: Error) => send(res, 500, { error: err.message }),
    );
    return;
  }
  if (serveWeb(req.method ?? "", url.pathname, res)) return;
  if (req.method === "GET" && url.pathname === "/events")
    return send(res, 200, lastEvents(backend.events(), url.searchParams.get("limit")));
  if (req.method === "GET" && url.pathname === "/metrics") {
    backend.metrics().then(
      (text) => {
        res.writeHead(200, { "content-type": "text/plain; version=0.0.4; charset=utf-8" });
        res.end(text);
      },
      (err: Error) => send(res, 500, { error: err.message }),
    );
    return;
  }
  const primary = /^\/health\/primary\/([^/]+)$/.exec(url.pathname);
  if (req.method === "GET" && primary) {
    const group = decodeURIComponent(primary[1] ?? "");
    backend.status().then(
      (s) => {
        if (!(group in s.groups)) return send(res, 404, { error: `no group named "${group}"` });
        const here = s.groups[group] === "running" && s.holds.includes(group);
        send(res, here ? 200 : 503, { group, primary: here });
      },
      (err: Error) => send(res, 503, { error: err.message }),
    );
    return;
  }
  const fault = backend.injectFault ? faultFor(req.method ?? "", url) : undefined;
  if (fault !== undefined) return injectFault(req, res, backend, fault);
  const cmd = commandFor(req.method ?? "", url);
  if (!cmd) return send(res, 404, { error: `no such endpoint: ${req.method} ${url.pathname}` });
  if (!authorized(req, res, backend)) return;
  if (cmd.kind === "move" && cmd.node === "")
    return send(res, 400, { error: "say where to: POST /groups/GROUP/move?node=NODE" });
  backend.command(cmd).then(
    (r) => send(res, r.ok ? 200 : 409, r),
    (err: Error) => send(res, 500, { error: err.message }),
  );
}

/** Starts the API on `listen`; resolves once it is listening. */
export async function startApi(listen: Endpoint, backend: ApiBackend): Promise<Server> {
  const server = createServer((req, res) => handle(req, res, backend));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(listen.port, listen.ip.text, () => {
      server.off("error", reject);
      resolve();
    });
  });
  return server;
}
