// Runs external commands from a helper process of their own. Node spawns with fork(): the kernel copies
// the page tables of the whole process while holding its memory map lock, and until the child has
// exec'd every page the daemon writes is copied. Every thread of the daemon waits meanwhile, the cluster
// thread too: with 20 busy processes beside it, forks from a 150 MiB process stalled another of its
// threads for up to 200-250ms (bench/spawn-block.ts), past a 150ms lease. The helper is a small Node
// process started with the daemon; it forks instead, so the daemon's threads never wait for a spawn, and
// only requests and results cross the pipe between them.
import { fork, type ChildProcess } from "node:child_process";
import type { CommandOptions, CommandResult } from "./run-command.js";

/** What the daemon asks the helper. */
export type CommandRequest =
  | {
      t: "run";
      id: number;
      path: string;
      args: string[];
      options: Omit<CommandOptions, "signal">;
    }
  | { t: "abort"; id: number };

/** The helper's answer: how one command ended. */
export interface CommandReply {
  id: number;
  result: CommandResult;
}

/** Flags of the helper's Node: it holds nothing but its pending commands, so a small young generation
 * and one V8 platform thread are enough. */
const HELPER_NODE_FLAGS = ["--max-semi-space-size=1", "--v8-pool-size=1"];

/** The process that spawns commands, started on the first command (or by `start`) and again after it
 * died. Commands get the environment the daemon had when the helper started (the daemon does not change
 * its own afterwards; reading all of process.env for every command cost the main thread more than the
 * spawns did). A command whose helper died while it ran ends as a failure to start (whether it ran is
 * unknown: its caller's escalation applies, as for any failed operation). */
export class CommandHelper {
  private child: ChildProcess | undefined;
  private readonly pending = new Map<number, (r: CommandResult) => void>();
  private nextId = 1;

  /** Starts the helper now, while this process is still small (its own start is a fork too). */
  start(): void {
    this.helper();
  }

  /** Runs `path args` in the helper; same contract as runCommand. */
  run(path: string, args: readonly string[], options: CommandOptions): Promise<CommandResult> {
    const { signal, ...rest } = options;
    const id = this.nextId++;
    const started = performance.now();
    return new Promise((resolve) => {
      const onAbort = () => {
        try {
          this.send({ t: "abort", id });
        } catch {
          // The helper is gone: the command ends as a failure as soon as that is noticed.
        }
      };
      this.pending.set(id, (r) => {
        signal?.removeEventListener("abort", onAbort);
        resolve(r);
      });
      try {
        this.helper();
        this.send({ t: "run", id, path, args: [...args], options: rest });
      } catch (err) {
        return this.settle(id, helperFailure(`could not reach the command helper: ${(err as Error).message}`, started));
      }
      this.ref(true);
      if (signal?.aborted) onAbort();
      else signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** Ends the helper; commands still running there end as failures (the programs themselves are not
   * killed: they run on as they would after a crash of the daemon). */
  async close(): Promise<void> {
    const c = this.child;
    this.child = undefined;
    this.failAll("the command helper was closed");
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise((r) => c.once("exit", r));
    c.ref(); // waited for below: it must keep this process alive until then
    c.kill("SIGKILL");
    await exited;
  }

  /** The helper's pid, when it runs. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  private send(m: CommandRequest): void {
    const c = this.child;
    if (!c?.connected) throw new Error("the command helper is not connected");
    c.send(m);
  }

  private helper(): ChildProcess {
    if (this.child) return this.child;
    // From the sources (tests under tsx) the helper is the .ts file beside this one, loaded through tsx.
    const ts = import.meta.url.endsWith(".ts");
    const entry = new URL(`./command-helper-process.${ts ? "ts" : "js"}`, import.meta.url).pathname;
    const c = fork(entry, [], {
      execArgv: [...(ts ? ["--import", import.meta.resolve("tsx")] : []), ...HELPER_NODE_FLAGS],
      // A session of its own: a Ctrl-C or hang-up of the daemon's terminal must not end the helper before
      // the daemon has stopped its groups through it.
      detached: true,
      stdio: ["ignore", "ignore", "inherit", "ipc"],
      env: process.env,
    });
    c.on("message", (m: CommandReply) => this.settle(m.id, m.result));
    const gone = (why: string) => {
      if (this.child !== c) return;
      this.child = undefined;
      this.failAll(why);
    };
    c.on("error", (err) => gone(`the command helper failed: ${err.message}`));
    c.on("exit", (code, signal) => gone(`the command helper exited (${signal ?? `code ${code}`})`));
    c.on("disconnect", () => gone("the command helper's pipe closed"));
    this.child = c;
    this.ref(false);
    return c;
  }

  /** The helper keeps this process alive only while a command runs. */
  private ref(on: boolean): void {
    const c = this.child as (ChildProcess & { channel?: { ref(): void; unref(): void } }) | undefined;
    if (on) {
      c?.ref();
      c?.channel?.ref();
    } else {
      c?.unref();
      c?.channel?.unref();
    }
  }

  private settle(id: number, result: CommandResult): void {
    const resolve = this.pending.get(id);
    this.pending.delete(id);
    if (this.pending.size === 0) this.ref(false);
    resolve?.(result);
  }

  private failAll(why: string): void {
    const now = performance.now();
    for (const id of [...this.pending.keys()]) this.settle(id, helperFailure(why, now));
  }
}

function helperFailure(why: string, started: number): CommandResult {
  return {
    code: null,
    signal: null,
    timedOut: false,
    spawnError: `E_COMMAND_HELPER: ${why}`,
    output: "",
    ms: performance.now() - started,
  };
}
