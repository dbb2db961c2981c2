// The daemon's side of the guard process: spawns it, writes its lines, reads the groups it stopped, and
// when it dies (crashed, killed, out of memory) logs an error and respawns it with its config and the
// last cover, stamped with its original send time: a guard is never told a group is covered for longer
// than the lease said. close() ends its stdin, so that it takes over what is still covered and exits.
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import {
  monotonicMs,
  type GuardConfig,
  type ReadyLine,
  type StoppedLine,
  type ToGuard,
  type VipsRemovedLine,
} from "./guard-protocol.js";

/** How long a guard must have lived for its death to be respawned at once; a quicker death waits this long. */
const RESPAWN_BACKOFF_MS = 100;

/** How to start the guard: the built vip-guard.js next to this file, or under tsx its .ts source. */
function guardCommand(): string[] {
  const self = new URL(import.meta.url).pathname;
  const script = new URL(self.endsWith(".ts") ? "./vip-guard.ts" : "./vip-guard.js", import.meta.url).pathname;
  return self.endsWith(".ts") ? ["--import", "tsx", script] : [script];
}

/** Drives one guard process for the cluster worker. */
export class GuardClient {
  private child: ChildProcess | undefined;
  private spawnedAt = 0;
  private config: GuardConfig | undefined;
  private lastCover: ToGuard | undefined;
  private coverQueued = false;
  private readyNow: Promise<void> = Promise.resolve();
  private onReady: (() => void) | undefined;
  private stoppedListeners: ((line: StoppedLine) => void)[] = [];
  private vipsRemovedListeners: ((line: VipsRemovedLine) => void)[] = [];
  private closing = false;
  private exited: Promise<void> = Promise.resolve();
  private firstReady = false;
  private settleFirst: { resolve: () => void; reject: (err: Error) => void } | undefined;

  /** Resolves once the first guard process reads its stdin; rejects when it could not be spawned or
   * ended before that (a start-up error: the daemon must not run without its guard). */
  readonly started: Promise<void>;

  /** `log` gets one line per event worth an operator's attention (a guard that died, its own log lines);
   * `command` is node's arguments that start the guard (tests start a broken one). */
  constructor(
    private log: (msg: string) => void,
    private command: string[] = guardCommand(),
    /** `inherit`: the guard writes its log lines to this process's stderr itself (the daemon: they
     * outlive it); `relay`: they come through `log` (tests that read them). */
    private stderr: "inherit" | "relay" = "inherit",
  ) {
    this.started = new Promise((resolve, reject) => (this.settleFirst = { resolve, reject }));
    this.started.catch(() => undefined);
    this.start();
  }

  /** The guard's pid (tests). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Sends the config (at start and after every reload); kept for a respawned guard. */
  configure(config: GuardConfig): void {
    this.config = config;
    this.flushCover();
    this.send({ t: "config", ...config });
  }

  /** Sends how long each group that may be active here is still covered, ms from now (every heartbeat).
   * Several reports within one turn of the event loop go out as the last of them (each replaces the whole
   * cover; its time is when it was made, so a later send only makes the guard's deadlines earlier): a node
   * taking over hundreds of groups would otherwise write every group's cover once per group started. */
  cover(groups: Record<string, number>): void {
    this.lastCover = { t: "cover", groups, at: monotonicMs() };
    if (this.coverQueued) return;
    this.coverQueued = true;
    setImmediate(() => this.flushCover());
  }

  /** Sends the cover queued this turn, if any (before any other message, which must not overtake it). */
  private flushCover(): void {
    if (this.coverQueued && this.lastCover) this.send(this.lastCover);
    this.coverQueued = false;
  }

  /** Resolves once the current guard process reads its stdin (lines sent before are not lost, only read later). */
  ready(): Promise<void> {
    return this.readyNow;
  }

  /** Calls `cb` for every group the guard stopped by itself. */
  onStopped(cb: (line: StoppedLine) => void): void {
    this.stoppedListeners.push(cb);
  }

  /** Calls `cb` for every group whose VIPs the guard removed while the daemon was still heard. */
  onVipsRemoved(cb: (line: VipsRemovedLine) => void): void {
    this.vipsRemovedListeners.push(cb);
  }

  /** Closes the guard's stdin: it takes over what is still covered as its cover runs out, then exits.
   * Resolves when it exited; it is not respawned any more. */
  close(): Promise<void> {
    this.flushCover();
    this.closing = true;
    this.child?.stdin?.end();
    return this.exited;
  }

  private send(m: ToGuard): void {
    const stdin = this.child?.stdin;
    if (stdin?.writable) stdin.write(`${JSON.stringify(m)}\n`);
  }

  private start(): void {
    let child: ChildProcess;
    try {
      // The guard writes its log lines to the daemon's own stderr (the journal), so that what it does
      // after the daemon died is still seen.
      child = spawn(process.execPath, this.command, {
        stdio: ["pipe", "pipe", this.stderr === "inherit" ? "inherit" : "pipe"],
      });
    } catch (err) {
      this.failFirst(`cannot start the guard process: ${(err as Error).message}`);
      this.log(`guard: cannot start the guard process: ${(err as Error).message}; retrying in ${RESPAWN_BACKOFF_MS}ms`);
      setTimeout(() => this.start(), RESPAWN_BACKOFF_MS);
      return;
    }
    this.child = child;
    this.spawnedAt = performance.now();
    this.readyNow = new Promise((resolve) => (this.onReady = resolve));
    child.stdin?.on("error", () => undefined);
    createInterface({ input: child.stdout! }).on("line", (line) => this.output(line));
    if (child.stderr)
      createInterface({ input: child.stderr }).on("line", (line) => {
        try {
          this.log((JSON.parse(line) as { msg: string }).msg);
        } catch {
          this.log(`guard: ${line.slice(0, 500)}`);
        }
      });
    this.exited = new Promise((resolve) => {
      child.once("error", (err) => {
        this.failFirst(`cannot start the guard process: ${err.message}`);
        this.log(`guard: the guard process (pid ${child.pid ?? "none"}) failed: ${err.message}`);
      });
      child.once("close", (code, signal) => {
        resolve();
        this.failFirst(`the guard process ended (${signal ?? `exit ${code}`}) before it was ready`);
        if (this.closing) return;
        const lived = performance.now() - this.spawnedAt;
        this.log(
          `guard: the guard process (pid ${child.pid ?? "none"}) ended (${signal ?? `exit ${code}`}) while the daemon runs; starting a new one`,
        );
        setTimeout(() => this.restart(), lived >= RESPAWN_BACKOFF_MS ? 0 : RESPAWN_BACKOFF_MS);
      });
    });
  }

  /** Starts a new guard and tells it the config and the last cover, less the time passed since. */
  private restart(): void {
    if (this.closing) return;
    this.start();
    if (this.config) this.send({ t: "config", ...this.config });
    if (this.lastCover) this.send(this.lastCover);
    this.log(`guard: a new guard process (pid ${this.child?.pid ?? "none"}) has the config and the last cover`);
  }

  /** A line on the guard's stdout: ready, or a group it stopped. */
  private output(line: string): void {
    let m: StoppedLine | VipsRemovedLine | ReadyLine | undefined;
    try {
      m = JSON.parse(line) as StoppedLine | VipsRemovedLine | ReadyLine;
    } catch {
      m = undefined;
    }
    if (m?.t === "ready") {
      this.onReady?.();
      this.firstReady = true;
      this.settleFirst?.resolve();
    } else if (m?.t === "stopped" && typeof m.group === "string") for (const cb of this.stoppedListeners) cb(m);
    else if (m?.t === "vips-removed" && typeof m.group === "string") for (const cb of this.vipsRemovedListeners) cb(m);
    else this.log(`guard: unexpected output from the guard: ${line.slice(0, 200)}`);
  }

  /** Rejects `started` when the first guard never became ready. */
  private failFirst(reason: string): void {
    if (!this.firstReady) this.settleFirst?.reject(new Error(reason));
  }
}
