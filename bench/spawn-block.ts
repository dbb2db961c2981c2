// How long a spawn blocks the thread that calls it, and what the daemon's command thread saves its main
// thread: 40 runs of /bin/true from a process holding 150 MiB (a daemon carrying hundreds of groups
// holds about that), spawned from the main thread and then through the command thread, on an idle
// machine and with 20 busy processes beside it. Per mode: the time inside the spawn call (main thread
// only) and the main thread's event-loop delay, p99 / max. Fails loudly when a command does not exit 0.
//   npx tsx bench/spawn-block.ts
import { spawn, type ChildProcess } from "node:child_process";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { CommandThread } from "../src/adapters/command-thread.js";

const RUNS = 40;
const BUSY = 20;
const held = Array.from({ length: 150 }, () => Buffer.alloc(1 << 20, 1));

async function fromMain(): Promise<number[]> {
  const inCall: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    const c = spawn("/bin/true", [], { stdio: "ignore" });
    inCall.push(performance.now() - t);
    const code = await new Promise((r) => c.on("exit", r));
    if (code !== 0) throw new Error(`/bin/true exited ${String(code)}`);
  }
  return inCall;
}

async function fromThread(thread: CommandThread): Promise<void> {
  for (let i = 0; i < RUNS; i++) {
    const r = await thread.run("/bin/true", [], { timeoutMs: 10_000 });
    if (r.code !== 0) throw new Error(`/bin/true through the command thread: ${r.spawnError ?? `exit ${r.code}`}`);
  }
}

const q = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))] ?? NaN;

async function measure(label: string, thread: CommandThread): Promise<void> {
  for (const mode of ["main thread", "command thread"] as const) {
    const h = monitorEventLoopDelay({ resolution: 5 });
    h.enable();
    const inCall = mode === "main thread" ? await fromMain() : (await fromThread(thread), []);
    h.disable();
    const call = inCall.length
      ? `spawn call p50 ${q(inCall, 0.5).toFixed(1)}ms max ${Math.max(...inCall).toFixed(1)}ms; `
      : "";
    console.log(
      `${label}, spawned from the ${mode}: ${call}main event-loop delay p99 ${(h.percentile(99) / 1e6).toFixed(1)}ms max ${(h.max / 1e6).toFixed(1)}ms`,
    );
  }
}

console.log(`this process holds ${held.length} MiB of buffers besides itself`);
const thread = new CommandThread();
const busy: ChildProcess[] = [];
try {
  await measure("idle", thread);
  for (let i = 0; i < BUSY; i++) busy.push(spawn("sh", ["-c", "while :; do :; done"], { stdio: "ignore" }));
  await new Promise((r) => setTimeout(r, 500));
  await measure(`${BUSY} busy processes`, thread);
} finally {
  for (const b of busy) b.kill("SIGKILL");
  await thread.close();
}
