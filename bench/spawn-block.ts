// What a spawn costs the daemon's threads, and what the command helper process saves them: 40 runs of
// /bin/true from a process holding 150 MiB (a daemon carrying hundreds of groups holds about that), with
// a worker thread in it standing for the cluster thread (it allocates as the cluster thread does and
// measures its own event-loop delay). Spawned from the main thread (Node forks the whole process: the
// kernel copies its page tables under its memory map lock, and pages it writes are copied until the child
// exec'd, so every thread waits) and then through the command helper (a small process of its own that
// forks instead), on an idle machine and beside 20 busy processes. Per mode: the main thread's and the
// worker's event-loop delay, p99 / max. Fails loudly when a command does not exit 0.
//   npx tsx bench/spawn-block.ts
import { spawn, type ChildProcess } from "node:child_process";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { Worker } from "node:worker_threads";
import { CommandHelper } from "../src/adapters/command-helper.js";

const RUNS = 40;
const BUSY = 20;
const held = Array.from({ length: 150 }, () => Buffer.alloc(1 << 20, 1));

/** The stand-in for the cluster thread: allocates every 2ms, measures its own event-loop delay between a
 * "start" and a "stop" message and answers the stop with p99 and max (ms). */
const worker = new Worker(
  `const { parentPort } = require("node:worker_threads");
   const { monitorEventLoopDelay } = require("node:perf_hooks");
   let h; let junk = [];
   setInterval(() => { junk.push(new Array(2000).fill(Math.random())); if (junk.length > 200) junk = []; }, 2);
   parentPort.on("message", (m) => {
     if (m === "start") { h = monitorEventLoopDelay({ resolution: 2 }); h.enable(); return; }
     h.disable();
     parentPort.postMessage({ p99: h.percentile(99) / 1e6, max: h.max / 1e6 });
   });`,
  { eval: true },
);
const workerDelay = {
  start: () => worker.postMessage("start"),
  stop: () =>
    new Promise<{ p99: number; max: number }>((r) => {
      worker.once("message", r);
      worker.postMessage("stop");
    }),
};

async function fromMain(): Promise<void> {
  for (let i = 0; i < RUNS; i++) {
    const c = spawn("/bin/true", [], { stdio: "ignore" });
    const code = await new Promise((r) => c.on("exit", r));
    if (code !== 0) throw new Error(`/bin/true exited ${String(code)}`);
  }
}

async function fromHelper(helper: CommandHelper): Promise<void> {
  for (let i = 0; i < RUNS; i++) {
    const r = await helper.run("/bin/true", [], { timeoutMs: 10_000 });
    if (r.code !== 0) throw new Error(`/bin/true through the command helper: ${r.spawnError ?? `exit ${r.code}`}`);
  }
}

async function measure(label: string, helper: CommandHelper): Promise<void> {
  for (const mode of ["main thread", "command helper"] as const) {
    const h = monitorEventLoopDelay({ resolution: 5 });
    h.enable();
    workerDelay.start();
    const t = performance.now();
    await (mode === "main thread" ? fromMain() : fromHelper(helper));
    const took = performance.now() - t;
    const w = await workerDelay.stop();
    h.disable();
    console.log(
      `${label}, spawned from the ${mode}: ${RUNS} runs in ${took.toFixed(0)}ms; event-loop delay p99 / max: main thread ${(h.percentile(99) / 1e6).toFixed(1)} / ${(h.max / 1e6).toFixed(1)}ms, worker ${w.p99.toFixed(1)} / ${w.max.toFixed(1)}ms`,
    );
  }
}

console.log(`this process holds ${held.length} MiB of buffers besides itself`);
const helper = new CommandHelper();
helper.start();
const busy: ChildProcess[] = [];
try {
  await new Promise((r) => setTimeout(r, 500));
  await measure("idle", helper);
  for (let i = 0; i < BUSY; i++) busy.push(spawn("sh", ["-c", "while :; do :; done"], { stdio: "ignore" }));
  await new Promise((r) => setTimeout(r, 500));
  await measure(`${BUSY} busy processes`, helper);
} finally {
  for (const b of busy) b.kill("SIGKILL");
  await helper.close();
  await worker.terminate();
}
