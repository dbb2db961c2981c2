// `npm run sim -- --seeds N --from S` runs N seeded schedules (in worker threads) and ends with
// "N passed, M failed"; `--seed K --trace` replays one run and prints its whole trace.
import { mkdirSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { Worker, isMainThread, parentPort, workerData } from "node:worker_threads";
import { Command } from "commander";
import { PROTOCOLS } from "./protocols/index.js";
import { runSeed, type RunResult } from "./world.js";

interface Job {
  protocol: string;
  nodes: number | undefined;
  from: number;
  count: number;
}

/** What a worker reports per seed: failures in full, passes as a convergence time only. */
interface Report {
  seed: number;
  ok: boolean;
  failure?: string;
  convergedAfter?: number;
  events: number;
}

function runJob(job: Job): Report[] {
  const make = PROTOCOLS[job.protocol];
  if (!make) throw new Error(`unknown protocol ${job.protocol}`);
  const out: Report[] = [];
  for (let seed = job.from; seed < job.from + job.count; seed++) {
    const r: RunResult = runSeed(make(job.nodes), seed);
    out.push({ seed, ok: r.ok, failure: r.failure, convergedAfter: r.convergedAfter, events: r.events });
  }
  return out;
}

function inWorkers(job: Job, workers: number): Promise<Report[]> {
  const per = Math.ceil(job.count / workers);
  const parts: Promise<Report[]>[] = [];
  for (let i = 0; i < workers; i++) {
    const from = job.from + i * per;
    const count = Math.min(per, job.from + job.count - from);
    if (count <= 0) break;
    parts.push(
      new Promise((resolve, reject) => {
        const w = new Worker(new URL(import.meta.url), { workerData: { ...job, from, count } });
        w.once("message", resolve);
        w.once("error", reject);
      }),
    );
  }
  return Promise.all(parts).then((all) => all.flat());
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

async function main(): Promise<void> {
  const opts = new Command()
    .name("vigil-sim")
    .description("run the cluster protocol through seeded fault schedules")
    .option("--seeds <n>", "how many seeds to run", "200")
    .option("--from <s>", "first seed", "1")
    .option("--seed <k>", "replay exactly this seed")
    .option("--trace", "print the full trace of the replayed seed")
    .option("--protocol <name>", `protocol to drive (${Object.keys(PROTOCOLS).join(", ")})`, Object.keys(PROTOCOLS)[0])
    .option("--nodes <n>", "number of nodes (protocol default when omitted)")
    .option("--workers <n>", "worker threads", String(Math.min(4, availableParallelism())))
    .parse(process.argv)
    .opts<{
      seeds: string;
      from: string;
      seed?: string;
      trace?: boolean;
      protocol: string;
      nodes?: string;
      workers: string;
    }>();
  const make = PROTOCOLS[opts.protocol];
  if (!make) throw new Error(`unknown protocol "${opts.protocol}"; choose one of ${Object.keys(PROTOCOLS).join(", ")}`);
  const nodes = opts.nodes === undefined ? undefined : Number(opts.nodes);

  if (opts.seed !== undefined) {
    const r = runSeed(make(nodes), Number(opts.seed), true);
    if (opts.trace) process.stdout.write(`${r.trace.join("\n")}\n`);
    process.stdout.write(
      r.ok
        ? `seed ${r.seed}: passed (liveness after ${r.convergedAfter?.toFixed(1)}ms, ${r.events} events)\n`
        : `seed ${r.seed}: FAILED: ${r.failure}\n`,
    );
    process.stdout.write(`${r.ok ? 1 : 0} passed, ${r.ok ? 0 : 1} failed\n`);
    process.exitCode = r.ok ? 0 : 1;
    return;
  }

  const job: Job = { protocol: opts.protocol, nodes, from: Number(opts.from), count: Number(opts.seeds) };
  if (!Number.isInteger(job.from) || !Number.isInteger(job.count) || job.count < 1)
    throw new Error("--seeds and --from take whole numbers");
  const started = performance.now();
  const reports = (await inWorkers(job, Math.max(1, Number(opts.workers)))).sort((a, b) => a.seed - b.seed);
  const failed = reports.filter((r) => !r.ok);
  for (const f of failed.slice(0, 20)) {
    const r = runSeed(make(nodes), f.seed, true);
    mkdirSync(".sim-failures", { recursive: true });
    const file = `.sim-failures/${opts.protocol}-seed-${f.seed}.trace`;
    writeFileSync(file, `${r.trace.join("\n")}\n`);
    process.stdout.write(
      `\nFAILED seed ${f.seed}: ${f.failure}\n--- last lines of the trace (whole trace: ${file}; replay: npm run sim -- --protocol ${opts.protocol} --seed ${f.seed} --trace)\n`,
    );
    process.stdout.write(`${r.trace.slice(-40).join("\n")}\n`);
  }
  if (failed.length > 20)
    process.stdout.write(
      `(${failed.length - 20} more failing seeds: ${failed
        .slice(20, 60)
        .map((f) => f.seed)
        .join(" ")}…)\n`,
    );
  const conv = reports
    .filter((r) => r.ok && r.convergedAfter !== undefined)
    .map((r) => r.convergedAfter as number)
    .sort((a, b) => a - b);
  const events = reports.reduce((s, r) => s + r.events, 0);
  process.stdout.write(
    `${opts.protocol}: seeds ${job.from}..${job.from + job.count - 1}, ${events} events in ${((performance.now() - started) / 1000).toFixed(1)}s; ` +
      `liveness after faults stop: p50 ${percentile(conv, 50).toFixed(1)}ms, p99 ${percentile(conv, 99).toFixed(1)}ms, max ${percentile(conv, 100).toFixed(1)}ms\n`,
  );
  process.stdout.write(`${reports.length - failed.length} passed, ${failed.length} failed\n`);
  process.exitCode = failed.length === 0 ? 0 : 1;
}

if (isMainThread) {
  main().catch((err: unknown) => {
    process.stderr.write(`vigil-sim: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 2;
  });
} else {
  parentPort?.postMessage(runJob(workerData as Job));
}
