// `vigil demo` run as a user runs it, with its output captured: for the tests that drive it with typed
// commands (stdin is not a terminal, so it prints changes one line each).
import assert from "node:assert/strict";
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { readFileSync, readdirSync, rmSync } from "node:fs";

const MAIN = new URL("../../dist/cli/main.js", import.meta.url).pathname;

/** A running demo and everything it printed so far. */
export interface DemoProcess {
  proc: ChildProcessWithoutNullStreams;
  out(): string;
  /** Waits until `test` holds (polled every 100ms); fails with the output when `ms` pass or the demo exits. */
  until(what: string, test: () => boolean, ms: number): Promise<void>;
  /** Types a command line. */
  type(line: string): void;
  /** Types `kill primary` until the demo reports the SIGKILL of the primary's mariadbd (within `ms`):
   * on a loaded machine its own view can lack a primary for a moment, and it says so instead. Returns
   * the output from before the first attempt on. */
  killPrimary(ms: number): Promise<string>;
  /** The demo's directory, once it printed it. */
  dir(): string | undefined;
  /** Quits the demo if it still runs (SIGKILL after 30s), then kills whatever of it is left and removes
   * its directory: for `after` hooks, also when the test failed. */
  cleanup(): Promise<void>;
}

/** Processes whose command line names `dir` (a demo's vigil nodes, guards and mariadbd). */
export function leftovers(dir: string): number[] {
  return readdirSync("/proc")
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, "utf8").includes(dir);
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** Starts `vigil demo ARGS...`. */
export function startDemo(args: string[]): DemoProcess {
  const proc = spawn(process.execPath, [MAIN, "demo", ...args], { stdio: ["pipe", "pipe", "pipe"] });
  let out = "";
  proc.stdout.on("data", (d: Buffer) => (out += d.toString()));
  proc.stderr.on("data", (d: Buffer) => (out += d.toString()));
  const dir = () => /files in (\S+)/.exec(out)?.[1];
  return {
    proc,
    out: () => out,
    dir,
    async cleanup() {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.stdin.write("quit\n");
        await Promise.race([new Promise((r) => proc.once("exit", r)), new Promise((r) => setTimeout(r, 30_000))]);
        if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGKILL");
      }
      const d = dir();
      if (!d) return;
      for (const pid of leftovers(d))
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          /* gone */
        }
      rmSync(d, { recursive: true, force: true });
    },
    type: (line) => void proc.stdin.write(`${line}\n`),
    async killPrimary(ms) {
      const mark = out.length;
      let asked = mark;
      proc.stdin.write("kill primary\n");
      await this.until(
        "the primary's mariadbd killed",
        () => {
          if (/no primary mariadbd runs right now/.test(out.slice(asked))) {
            asked = out.length;
            proc.stdin.write("kill primary\n");
          }
          return /killed n\d's mariadbd, the primary \(SIGKILL, pid \d+\)/.test(out.slice(mark));
        },
        ms,
      );
      return out.slice(mark);
    },
    async until(what, test, ms) {
      const end = Date.now() + ms;
      while (!test()) {
        if (Date.now() > end || proc.exitCode !== null) assert.fail(`timed out waiting for ${what}; output:\n${out}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
  };
}
