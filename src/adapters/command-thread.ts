// Runs external commands from a thread of their own. A spawn blocks the thread that calls it until the
// child has exec'd: the fork copies the page tables of the whole process, and the child must then be
// scheduled, which on a loaded machine takes 100ms and more per command. A daemon starting or stopping
// hundreds of groups must not leave its main thread that silent (the cluster thread's watchdog would
// take it for hung), so the daemon's commands are spawned here and only their results cross back.
import { SHARE_ENV, Worker } from "node:worker_threads";
import type { CommandOptions, CommandResult } from "./run-command.js";

/** What the main thread asks the command thread. */
export type CommandRequest =
  | { t: "run"; id: number; path: string; args: string[]; options: Omit<CommandOptions, "signal"> }
  | { t: "abort"; id: number };

/** The command thread's answer: how one command ended. */
export interface CommandReply {
  id: number;
  result: CommandResult;
}

/** The thread that spawns commands, started on the first command and again after it died. A command
 * whose thread died while it ran ends as a failure to start (whether it ran is unknown: its caller's
 * escalation applies, as for any failed operation). */
export class CommandThread {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, (r: CommandResult) => void>();
  private nextId = 1;

  /** Runs `path args` in the command thread; same contract as runCommand. */
  run(path: string, args: readonly string[], options: CommandOptions): Promise<CommandResult> {
    const { signal, ...rest } = options;
    const id = this.nextId++;
    const started = performance.now();
    return new Promise((resolve) => {
      const onAbort = () => this.worker?.postMessage({ t: "abort", id } satisfies CommandRequest);
      this.pending.set(id, (r) => {
        signal?.removeEventListener("abort", onAbort);
        resolve(r);
      });
      let worker: Worker;
      try {
        worker = this.thread();
        worker.postMessage({ t: "run", id, path, args: [...args], options: rest } satisfies CommandRequest);
      } catch (err) {
        return this.settle(id, threadFailure(`could not start the command thread: ${(err as Error).message}`, started));
      }
      worker.ref();
      if (signal?.aborted) onAbort();
      else signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** Ends the thread; commands still running there end as failures. */
  async close(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    await w?.terminate();
    this.failAll("the command thread was closed");
  }

  private thread(): Worker {
    if (this.worker) return this.worker;
    // From the sources (tests under tsx) the worker is the .ts file beside this one, loaded through tsx.
    const ts = import.meta.url.endsWith(".ts");
    const entry = new URL(`./command-thread-worker.${ts ? "ts" : "js"}`, import.meta.url);
    const w = ts
      ? new Worker(
          `import("tsx/esm/api").then((t) => { t.register(); return import(${JSON.stringify(entry.href)}); });`,
          { eval: true, env: SHARE_ENV },
        )
      : new Worker(entry, { env: SHARE_ENV });
    w.unref();
    w.on("message", (m: CommandReply) => this.settle(m.id, m.result));
    const gone = (why: string) => {
      if (this.worker !== w) return;
      this.worker = undefined;
      this.failAll(why);
    };
    w.on("error", (err) => gone(`the command thread failed: ${err.message}`));
    w.on("exit", (code) => gone(`the command thread exited with code ${code}`));
    this.worker = w;
    return w;
  }

  private settle(id: number, result: CommandResult): void {
    const resolve = this.pending.get(id);
    this.pending.delete(id);
    if (this.pending.size === 0) this.worker?.unref();
    resolve?.(result);
  }

  private failAll(why: string): void {
    const now = performance.now();
    for (const id of [...this.pending.keys()]) this.settle(id, threadFailure(why, now));
  }
}

function threadFailure(why: string, started: number): CommandResult {
  return {
    code: null,
    signal: null,
    timedOut: false,
    spawnError: `E_COMMAND_THREAD: ${why}`,
    output: "",
    ms: performance.now() - started,
  };
}
