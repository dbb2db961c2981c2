// Runs an external program without a shell, with a timeout after which it is killed, capturing output.
import { spawn, type ChildProcess } from "node:child_process";
import { childEnv } from "./child-env.js";

/** How a command ended. */
export interface CommandResult {
  /** Exit code; null when killed by a signal or never started. */
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  /** Set when the program could not be started at all (ENOENT, EACCES, ...). */
  spawnError?: string;
  output: string;
  /** With `stderrApart`: what the program wrote to stderr (output then holds stdout alone). */
  stderr?: string;
  /** Output passed `maxOutput` and was cut. */
  cut?: boolean;
  ms: number;
}

/** How to run one command. */
export interface CommandOptions {
  /** Killed (SIGTERM to its process group, SIGKILL a second later) after this long, ms. */
  timeoutMs: number;
  /** Added to vigil's own environment. */
  env?: Record<string, string>;
  /** Aborting it kills the command like a timeout. */
  signal?: AbortSignal;
  /** The resource this command belongs to: set as VIGIL_RESOURCE=<tag> in its environment, which every
   * process it starts inherits, so that killTagged can find them all. */
  tag?: string;
  /** After a timeout or abort: how long SIGTERM may take before SIGKILL, ms (default 1000; 0: SIGKILL at
   * once, for a stop whose time is part of a budget). */
  graceMs?: number;
  /** Most output kept, bytes (default 16 KiB); the rest is cut and `cut` set. */
  maxOutput?: number;
  /** stderr kept apart from stdout (programs whose stdout is parsed: nft, conntrack). */
  stderrApart?: boolean;
  /** End when the program's pipes close rather than shortly after it exits: for programs that leave
   * nothing running behind them and whose whole output is needed (a large listing). */
  untilClosed?: boolean;
}

/** Most output kept per run, bytes; the rest is cut (and said so). */
const MAX_OUTPUT = 16 * 1024;

/** Default time between SIGTERM and SIGKILL, ms. */
const GRACE_MS = 1000;

/** How long after its SIGKILL a program may take to exit before the run ends without it (a process in
 * uninterruptible sleep): its result is then "timed out", and whatever it still holds is for the
 * caller's escalation. */
const EXIT_AFTER_KILL_MS = 100;

/** How long, once the program exited, its output may still take to drain from the pipes (ms). */
const DRAIN_MS = 20;

/** Where runCommand spawns: here, or (in the daemon) the command helper process. */
interface CommandRunner {
  run(path: string, args: readonly string[], options: CommandOptions): Promise<CommandResult>;
}
let commandRunner: CommandRunner | undefined;

/** From now on runCommand spawns through `runner` (the daemon's command helper, so that no fork stalls
 * the daemon's threads); undefined: from this process again. */
export function useCommandHelper(runner: CommandRunner | undefined): void {
  commandRunner = runner;
}

/** Runs `path args` with `env` added to the environment, in the command helper when one is in use. Never
 * rejects; see runCommandHere. */
export function runCommand(path: string, args: readonly string[], options: CommandOptions): Promise<CommandResult> {
  return commandRunner ? commandRunner.run(path, args, options) : runCommandHere(path, args, options);
}

/** Runs `path args` with `env` added to the environment, spawned from this process. Never rejects, not even when spawn throws (a
 * NUL byte in an argument, an argument too long for exec, ENOMEM, EAGAIN): that is a result with
 * spawnError. Ends when the program exits, not when its pipes close: a background child it leaves
 * running (IPaddr2's send_arp, a daemon an LSB script starts) may hold them open for long, and is
 * neither waited for nor killed. Aborting `signal` kills it like a timeout. After a timeout it ends at
 * the latest graceMs + 100ms later, exited or not. */
export function runCommandHere(path: string, args: readonly string[], options: CommandOptions): Promise<CommandResult> {
  const started = performance.now();
  const failed = (err: unknown): CommandResult => {
    const e = err as NodeJS.ErrnoException;
    return {
      code: null,
      signal: null,
      timedOut: false,
      spawnError: `${e.code ?? "error"}: ${e.message}`,
      output: "",
      ms: performance.now() - started,
    };
  };
  return new Promise((settle) => {
    let settled = false;
    const resolve = (r: CommandResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(giveUp);
      options.signal?.removeEventListener("abort", onAbort);
      settle(r);
    };
    let giveUp: NodeJS.Timeout | undefined;
    let output = "";
    let timedOut = false;
    let child: ChildProcess;
    try {
      child = spawn(path, args, {
        shell: false,
        stdio: ["ignore", "pipe", "pipe"],
        env: childEnv(process.env, {
          ...options.env,
          ...(options.tag === undefined ? {} : { VIGIL_RESOURCE: options.tag }),
        }),
        detached: true,
      });
    } catch (err) {
      return settle(failed(err));
    }
    const max = options.maxOutput ?? MAX_OUTPUT;
    let cut = false;
    const keep = (kept: string, chunk: Buffer, limit: number): string =>
      kept.length < limit ? kept + chunk.toString("utf8").slice(0, limit - kept.length) : kept;
    const take = (chunk: Buffer) => {
      if (output.length + chunk.length > max) cut = true;
      output = keep(output, chunk, max);
    };
    let stderr = "";
    child.stdout?.on("data", take);
    child.stderr?.on("data", (c: Buffer) => (options.stderrApart ? (stderr = keep(stderr, c, MAX_OUTPUT)) : take(c)));
    const killGroup = (signal: NodeJS.Signals) => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, signal);
      } catch {
        child.kill(signal);
      }
    };
    const grace = options.graceMs ?? GRACE_MS;
    const kill = () => {
      if (grace > 0) killGroup("SIGTERM");
      setTimeout(() => killGroup("SIGKILL"), grace).unref();
      giveUp = setTimeout(() => {
        child.stdout?.destroy();
        child.stderr?.destroy();
        resolve({ code: null, signal: null, timedOut, output, ms: performance.now() - started });
      }, grace + EXIT_AFTER_KILL_MS);
    };
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, options.timeoutMs);
    const onAbort = () => {
      clearTimeout(timer);
      kill();
    };
    if (options.signal?.aborted) onAbort();
    else options.signal?.addEventListener("abort", onAbort, { once: true });
    child.on("error", (err: NodeJS.ErrnoException) => {
      resolve({ ...failed(err), output });
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      clearTimeout(giveUp);
      const ms = performance.now() - started;
      const done = () => {
        clearTimeout(drain);
        child.stdout?.destroy();
        child.stderr?.destroy();
        resolve({
          code,
          signal,
          timedOut,
          output: cut && !options.stderrApart ? `${output}…(cut)` : output,
          ...(options.stderrApart ? { stderr } : {}),
          ...(cut ? { cut } : {}),
          ms,
        });
      };
      const drain = options.untilClosed ? undefined : setTimeout(done, DRAIN_MS);
      child.once("close", done);
    });
  });
}

/** One line describing how a command ended, for logs and errors. */
export function describeResult(r: CommandResult): string {
  if (r.spawnError) return `could not start: ${r.spawnError}`;
  if (r.timedOut) return `timed out after ${Math.round(r.ms)}ms and was killed`;
  if (r.signal) return `killed by ${r.signal}`;
  return `exit ${r.code} in ${Math.round(r.ms)}ms`;
}

/** The usual outcome of a resource operation: ok on exit 0, one line saying what ran and how it ended. */
export function operationOutcome(
  label: string,
  r: CommandResult,
  ok = r.code === 0,
): { ok: boolean; detail: string; output: string } {
  return { ok, detail: `${label}: ${describeResult(r)}`, output: r.output.trim() };
}
