// Checks every real server of one virtual server on its interval and turns results into up/down
// transitions with rise/fall. Each server has its own chain of checks, so a slow server delays only
// its own next check; only transitions are logged, like keepalived and HAProxy.
import type { Logger } from "../adapters/logger.js";
import { applyCheck, initialHealth, type HealthState } from "../core/balancer/health.js";
import { parseEndpoint } from "../core/net/address.js";
import type { CheckResult, CheckTarget } from "./checks/result.js";
import { runCheck, type CheckConfig } from "./checks/run.js";

/** What the checker needs of a virtual server. */
export interface CheckedVirtualServer {
  name: string;
  check: CheckConfig;
  real_servers: readonly { address: string }[];
}

/** Options of a HealthChecker. */
export interface HealthCheckerOptions {
  vs: CheckedVirtualServer;
  log: Logger;
  /** Called once per change of a server's health, with the line that was logged. */
  onTransition(address: string, up: boolean, reason: string): void;
  /** Called after every check; `lateMs` is how long after its due time the check started. */
  onResult?(address: string, ok: boolean, latencyMs: number, lateMs: number): void;
  /** Runs one check; defaults to the configured check (tests and benchmarks may wrap it). */
  runCheck?(check: CheckConfig, target: CheckTarget, signal: AbortSignal): Promise<CheckResult>;
}

/** Health of one real server as last decided. */
export interface ServerHealth {
  up: boolean;
  /** The last check's outcome in words, or "not checked yet". */
  detail: string;
  /** The last check's duration, ms. */
  latencyMs?: number;
}

interface Server {
  address: string;
  target: CheckTarget;
  health: HealthState;
  detail: string;
  latencyMs?: number;
  timer?: NodeJS.Timeout;
  /** Aborted when the server's checks stop; replaced so that they can start again. */
  cancel: AbortController;
  removed: boolean;
}

/** Health checks of all real servers of one virtual server. */
export class HealthChecker {
  private servers = new Map<string, Server>();
  private running = false;

  constructor(private opts: HealthCheckerOptions) {
    for (const r of opts.vs.real_servers) this.add(r.address);
  }

  /** Starts checking; first checks are spread evenly over one interval so they do not fire at once. */
  start(): void {
    if (this.running) return;
    this.running = true;
    const all = [...this.servers.values()];
    const step = this.opts.vs.check.interval / Math.max(1, all.length);
    all.forEach((s, i) => this.schedule(s, performance.now() + i * step));
  }

  /** Stops all timers and cancels checks in flight; their results are ignored. */
  stop(): void {
    this.running = false;
    for (const s of this.servers.values()) this.halt(s);
  }

  /** Makes `addresses` the checked set (config reload): new servers start up and unchecked, removed ones stop. */
  setServers(addresses: readonly string[]): void {
    const wanted = new Set(addresses);
    for (const [address, s] of this.servers) {
      if (!wanted.has(address)) {
        this.halt(s);
        s.removed = true;
        this.servers.delete(address);
      }
    }
    for (const address of wanted) {
      if (this.servers.has(address)) continue;
      const s = this.add(address);
      if (this.running) this.schedule(s, performance.now() + Math.random() * this.opts.vs.check.interval);
    }
  }

  /** Current health of `address`, or undefined when it is not checked here. */
  state(address: string): ServerHealth | undefined {
    const s = this.servers.get(address);
    if (!s) return undefined;
    return { up: s.health.up, detail: s.detail, ...(s.latencyMs !== undefined ? { latencyMs: s.latencyMs } : {}) };
  }

  private add(address: string): Server {
    const e = parseEndpoint(address);
    if (!e) throw new Error(`real server address "${address}" is not IP:PORT`);
    const s: Server = {
      address,
      target: { ip: e.ip.text, port: e.port },
      health: initialHealth(),
      detail: "not checked yet",
      cancel: new AbortController(),
      removed: false,
    };
    this.servers.set(address, s);
    return s;
  }

  private halt(s: Server): void {
    clearTimeout(s.timer);
    s.timer = undefined;
    s.cancel.abort();
    s.cancel = new AbortController();
  }

  /** Runs the next check of `s` at `due` (a performance.now() time). */
  private schedule(s: Server, due: number): void {
    s.timer = setTimeout(() => void this.checkOnce(s, due), Math.max(0, due - performance.now()));
  }

  private async checkOnce(s: Server, due: number): Promise<void> {
    s.timer = undefined;
    const started = performance.now();
    const { signal } = s.cancel;
    const run = this.opts.runCheck ?? runCheck;
    const result = await run(this.opts.vs.check, s.target, signal).catch((err: unknown) => ({
      ok: false,
      detail: `check failed: ${err instanceof Error ? err.message : String(err)}`,
      latencyMs: performance.now() - started,
    }));
    if (signal.aborted || s.removed || !this.running) return;
    this.record(s, result, Math.max(0, started - due));
    this.schedule(s, Math.max(started + this.opts.vs.check.interval, performance.now()));
  }

  private record(s: Server, result: CheckResult, lateMs: number): void {
    const { check } = this.opts.vs;
    const { state, transition } = applyCheck(s.health, result, { rise: check.rise, fall: check.fall }, s.address);
    s.health = state;
    s.detail = result.detail;
    s.latencyMs = result.latencyMs;
    this.opts.onResult?.(s.address, result.ok, result.latencyMs, lateMs);
    if (!transition) return;
    const fields = { virtualServer: this.opts.vs.name, realServer: s.address, up: transition.up };
    if (transition.up) this.opts.log.info(fields, transition.reason);
    else this.opts.log.warn(fields, transition.reason);
    this.opts.onTransition(s.address, transition.up, transition.reason);
  }
}
