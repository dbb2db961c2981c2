// Failover benchmark on loopback with real `vigil run` processes, once per heartbeat setting (default
// 25ms / 150ms, the config defaults).
//  1. Trials: SIGKILL the leader (which owns group db), measure until the new owner starts db (its
//     "starts db" decision) and until db is running there; restart the old leader and let db fail back.
//  2. Soak: both cores kept busy by other processes; count leader changes and group moves (false failovers).
// Usage: npx tsx bench/failover.ts [--trials 50] [--soak-seconds 600] [--vigil-timers 25ms/150ms,10ms/60ms]
import { spawn, type ChildProcess } from "node:child_process";
import { cpus } from "node:os";
import { LocalCluster } from "../test/helpers/local-cluster.js";
import { timersFromArgs, type VigilTimers } from "./timers.js";

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const groups =
  "  - name: db\n    prefer: [n1]\n    failback: true\n    resources:\n      - { type: exec, path: /bin/true }\n";

async function trials(count: number, timers: VigilTimers): Promise<void> {
  const c = await LocalCluster.start({ groupsYaml: groups, clusterYaml: timers.yaml });
  const toStart: number[] = [];
  const toRunning: number[] = [];
  try {
    for (let t = 0; t < count; t++) {
      await c.waitFor(
        "n1 leading and running db",
        async () => {
          const s = await c.status("n1");
          return s?.isLeader && s.groups.db === "running" && (await c.owner("db")) === "n1" ? true : undefined;
        },
        20_000,
      );
      await sleep(200 + Math.random() * 50);
      const before = c.decisions().length;
      const t0 = Date.now();
      await c.kill("n1");
      const started = await c.waitFor(
        "a new owner",
        async () =>
          c
            .decisions()
            .slice(before)
            .find((d) => / starts db: /.test(d.msg)),
        5000,
        5,
      );
      await c.waitFor(
        "db running on the new owner",
        async () => ((await c.status(started.node))?.groups.db === "running" ? true : undefined),
        5000,
        2,
      );
      const running = Date.now();
      toStart.push(started.at - t0);
      toRunning.push(running - t0);
      process.stdout.write(
        `trial ${t + 1}: ${started.node} starts db after ${started.at - t0}ms, running after ≤${running - t0}ms\n`,
      );
      c.spawnNode("n1");
    }
  } finally {
    await c.stop();
  }
  const a = [...toStart].sort((x, y) => x - y);
  const b = [...toRunning].sort((x, y) => x - y);
  process.stdout.write(
    `\nfailover at ${timers.label} over ${count} trials (SIGKILL of the leader+owner → new owner):\n`,
  );
  process.stdout.write(`  starts the group (decision): p50 ${pct(a, 50)}ms  p99 ${pct(a, 99)}ms  max ${a.at(-1)}ms\n`);
  process.stdout.write(`  group running (polled, 2ms):  p50 ${pct(b, 50)}ms  p99 ${pct(b, 99)}ms  max ${b.at(-1)}ms\n`);
}

async function soak(seconds: number, timers: VigilTimers): Promise<void> {
  const hogs: ChildProcess[] = cpus().map(() => spawn(process.execPath, ["-e", "for(;;){}"], { stdio: "ignore" }));
  const c = await LocalCluster.start({ groupsYaml: groups, clusterYaml: timers.yaml });
  try {
    await c.waitFor("db running on n1", async () => ((await c.owner("db")) === "n1" ? true : undefined), 20_000);
    await sleep(500);
    const before = c.decisions().length;
    process.stdout.write(
      `\nsoak at ${timers.label}: ${seconds}s with ${hogs.length} busy-loop processes keeping every core busy…\n`,
    );
    await sleep(seconds * 1000);
    const during = c.decisions().slice(before);
    const leaderChanges = during.filter((d) => / leads term /.test(d.msg));
    const moves = during.filter((d) => / (moves|starts|stops) /.test(d.msg));
    process.stdout.write(
      `soak at ${timers.label}: ${leaderChanges.length} leader changes, ${moves.length} group moves/starts/stops (false failovers: ${leaderChanges.length + moves.length})\n`,
    );
    for (const d of during.slice(0, 20))
      process.stdout.write(`  ${new Date(d.at).toISOString()} ${d.node}: ${d.msg}\n`);
  } finally {
    for (const h of hogs) h.kill("SIGKILL");
    await c.stop();
  }
}

const trialCount = arg("trials", 50);
const soakSeconds = arg("soak-seconds", 600);
for (const timers of timersFromArgs("25ms/150ms")) {
  if (trialCount > 0) await trials(trialCount, timers);
  if (soakSeconds > 0) await soak(soakSeconds, timers);
}
