// The main thread's side of the cluster worker: spawns it, sends it typed messages, answers status and
// command requests with timeouts, pings it every heartbeat interval, and reports once when the worker
// dies, stops answering pings for the watchdog bound, or says it silenced the node.
import { Worker } from "node:worker_threads";
import type { CommandOutcome } from "../api/server.js";
import type { Command } from "../core/cluster/admin.js";
import type { ClusterEvent } from "../core/cluster/node.js";
import type { WorkerInit } from "./cluster-worker.js";
import { StartupError } from "./startup-error.js";
import { Watchdog, watchdogBound } from "./watchdog.js";
import type { FromWorker, ToWorker, WorkerStatus } from "./worker-protocol.js";

/** How long a status request may take before it rejects, ms. */
export const STATUS_TIMEOUT_MS = 1000;
/** How long a command may wait for the cluster's answer before it resolves as timed out, ms. */
export const COMMAND_TIMEOUT_MS = 10_000;

/** How long terminate() lets the worker close its guard and end by itself before ending it, ms. */
export const STOP_WAIT_MS = 500;

/** What the worker reports besides replies: decisions, actions, link and peer changes. */
export type WorkerReport = Extract<FromWorker, { t: "decisions" | "action" | "links" | "warn" | "peer" }>;

/** Where the client delivers the worker's reports, and whom it tells that the worker is gone. */
export interface WorkerClientHandlers {
  report(m: WorkerReport): void;
  /** The worker died, stopped answering pings, or silenced the node (after start-up); called at most
   * once, with why. */
  down(reason: string): void;
}

/** A running cluster worker. */
export class WorkerClient {
  private nextId = 1;
  private statuses = new Map<number, { resolve: (s: WorkerStatus) => void; reject: (e: Error) => void }>();
  private commands = new Map<number, (r: CommandOutcome) => void>();
  private closing = false;
  private gone: string | undefined;
  private worker: Worker;
  private pinger: NodeJS.Timeout | undefined;
  private watchdog: Watchdog;

  /** Resolves once the worker's cluster port is bound; rejects with StartupError when it cannot start. */
  readonly ready: Promise<void>;

  /** Spawns the worker; wait for `ready` before relying on it. Pings start once it is ready. */
  constructor(
    init: WorkerInit,
    private handlers: WorkerClientHandlers,
  ) {
    const bound = watchdogBound(init);
    this.watchdog = new Watchdog(bound, init.spec.interval, (silentMs) =>
      this.lost(
        `the cluster worker thread has not answered a ping for ${Math.round(silentMs)}ms (watchdog bound ${bound}ms)`,
      ),
    );
    this.worker = new Worker(new URL("./cluster-worker.js", import.meta.url), { workerData: init });
    this.ready = new Promise((resolve, reject) => {
      let started = false;
      this.worker.on("message", (m: FromWorker) => {
        if (m.t === "ready") {
          started = true;
          this.startPinging(init.spec.interval);
          return resolve();
        }
        if (m.t === "fatal") return reject(new StartupError(m.message));
        this.receive(m);
      });
      this.worker.on("error", (err) => {
        if (!started) return reject(new StartupError(`cluster worker failed at start-up: ${err.message}`));
        this.lost(`the cluster worker thread failed: ${err.message}`);
      });
      this.worker.on("exit", (code) => {
        if (!started) return reject(new StartupError(`cluster worker exited with code ${code} during start-up`));
        this.lost(`the cluster worker thread exited with code ${code}`);
      });
    });
  }

  /** Why the worker is gone, once it is. */
  get downReason(): string | undefined {
    return this.gone;
  }

  /** Sends a message; dropped once the worker is gone. */
  post(m: ToWorker): void {
    if (this.gone) return;
    try {
      this.worker.postMessage(m);
    } catch (err) {
      this.lost(`cannot post to the cluster worker: ${(err as Error).message}`);
    }
  }

  /** Tells the worker to stop renewing this node's leases for good (also after it was reported down). */
  silence(reason: string): void {
    try {
      this.worker.postMessage({ t: "silence", reason } satisfies ToWorker);
    } catch {
      /* the worker is gone: it renews nothing */
    }
  }

  /** Sends a cluster event. */
  event(event: ClusterEvent): void {
    this.post({ t: "event", event });
  }

  /** The worker's status; rejects after STATUS_TIMEOUT_MS or at once when the worker is gone. */
  status(): Promise<WorkerStatus> {
    if (this.gone) return Promise.reject(new Error(`cluster worker is gone: ${this.gone}`));
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      this.statuses.set(id, { resolve, reject });
      this.post({ t: "status?", id });
      setTimeout(() => {
        if (this.statuses.delete(id))
          reject(new Error(`cluster worker did not answer a status request within ${STATUS_TIMEOUT_MS}ms`));
      }, STATUS_TIMEOUT_MS).unref();
    });
  }

  /** Sends a command to the cluster; resolves with the leader's answer, or not ok after COMMAND_TIMEOUT_MS. */
  command(cmd: Command): Promise<CommandOutcome> {
    if (this.gone) return Promise.resolve({ ok: false, message: `cluster worker is gone: ${this.gone}` });
    return new Promise((resolve) => {
      const id = this.nextId++;
      this.commands.set(id, resolve);
      this.event({ kind: "command", id, cmd });
      setTimeout(() => {
        if (this.commands.delete(id))
          resolve({
            ok: false,
            message: `the cluster did not answer the ${cmd.kind} command within ${COMMAND_TIMEOUT_MS}ms (timed out)`,
          });
      }, COMMAND_TIMEOUT_MS).unref();
    });
  }

  /** Stops the worker (asking it to close its transport and its guard first, and waiting up to
   * STOP_WAIT_MS for it to end by itself, so that the guard is reaped); not reported as down. */
  async terminate(): Promise<void> {
    this.closing = true;
    this.watchdog.stop();
    if (this.pinger) clearInterval(this.pinger);
    const ended = new Promise((resolve) => this.worker.once("exit", resolve));
    this.post({ t: "stop" });
    if (!this.gone) await Promise.race([ended, new Promise((resolve) => setTimeout(resolve, STOP_WAIT_MS).unref())]);
    await this.worker.terminate();
  }

  private startPinging(everyMs: number): void {
    this.watchdog.start();
    this.pinger = setInterval(() => this.post({ t: "ping" }), everyMs);
    this.pinger.unref();
  }

  private receive(m: FromWorker): void {
    if (m.t === "pong") return this.watchdog.heard();
    if (m.t === "silenced")
      return this.lost(
        `the cluster worker silenced this node: it got no ping from the main thread for ${Math.round(m.silentMs)}ms (the main thread was blocked)`,
      );
    if (m.t === "status") {
      this.statuses.get(m.id)?.resolve(m.status);
      this.statuses.delete(m.id);
      return;
    }
    if (m.t === "action" && m.action.kind === "command-result") {
      this.commands.get(m.action.id)?.({ ok: m.action.ok, message: m.action.message });
      this.commands.delete(m.action.id);
      return;
    }
    if (m.t === "decisions" || m.t === "action" || m.t === "links" || m.t === "warn" || m.t === "peer")
      this.handlers.report(m);
  }

  /** Marks the worker gone, fails what waits on it and tells the handler (once, unless closing). */
  private lost(reason: string): void {
    if (this.gone) return;
    this.gone = reason;
    this.watchdog.stop();
    if (this.pinger) clearInterval(this.pinger);
    for (const [, p] of this.statuses) p.reject(new Error(`cluster worker is gone: ${reason}`));
    this.statuses.clear();
    for (const [, done] of this.commands) done({ ok: false, message: `cluster worker is gone: ${reason}` });
    this.commands.clear();
    if (!this.closing) this.handlers.down(reason);
  }
}
