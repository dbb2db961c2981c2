// Client-observed VIP failover in network namespaces, vigil and keepalived side by side in one run.
// A client connects to the VIP every 5ms; per trial we record its longest gap without an answer and the
// instants at which two different hosts answered. Scenarios: the owner drops off the network (link
// down), and the owner's HA daemon is SIGKILLed. vigil runs once per heartbeat setting given.
// Usage (root): npx tsx bench/vip-failover.ts [--trials 20] [--only vigil|keepalived]
//                 [--vigil-timers 25ms/150ms,10ms/60ms]   (INTERVAL/LEASE, comma-separated)
import { NetnsCluster } from "../test/helpers/netns-cluster.js";
import { netnsUnavailable } from "../test/helpers/netns.js";
import { timersFromArgs, type VigilTimers } from "./timers.js";

type System = { name: string; kind: "vigil" | "keepalived"; advert?: number; timers?: VigilTimers };
const TIMERS = timersFromArgs("25ms/150ms,10ms/60ms");
/** The row vigil's rows are compared with (the target: vigil's p50 ≤ 0.5 × this one's). */
const REFERENCE = "keepalived advert_int 0.1s";
const SYSTEMS: System[] = [
  ...TIMERS.map((t): System => ({ name: `vigil (${t.label})`, kind: "vigil", timers: t })),
  { name: "keepalived advert_int 1s", kind: "keepalived", advert: 1 },
  { name: REFERENCE, kind: "keepalived", advert: 0.1 },
];
const SCENARIOS = ["owner link down", "owner daemon SIGKILL"] as const;
const onlyArg = process.argv.indexOf("--only");
const ONLY = onlyArg >= 0 ? process.argv[onlyArg + 1] : undefined;

const trialsArg = process.argv.indexOf("--trials");
const TRIALS = trialsArg >= 0 ? Number(process.argv[trialsArg + 1]) : 20;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)] ?? NaN;

async function trial(
  sys: System,
  scenario: (typeof SCENARIOS)[number],
  n: number,
): Promise<{ gap: number; doubles: number }> {
  const c = new NetnsCluster(`b${n % 10}`, undefined, undefined, { clusterYaml: sys.timers?.yaml });
  try {
    if (sys.kind === "vigil") await c.start();
    else {
      await c.start([]);
      for (const h of c.hosts) c.startKeepalived(h, sys.advert ?? 1);
    }
    const owner = await c.waitForOwner(undefined, 20_000);
    await sleep(300);
    const budget = sys.kind === "keepalived" && sys.advert === 1 ? 6000 : 2500;
    const r = await c.probe(budget, 400, () => {
      if (scenario === "owner link down") c.lab.link(owner, false);
      else c.killDaemon(owner, sys.kind);
    });
    return { gap: r.longestGap, doubles: r.doubleAnswers };
  } finally {
    await c.destroy();
  }
}

const why = netnsUnavailable();
if (why) {
  process.stderr.write(`cannot run: ${why}\n`);
  process.exit(2);
}
const rows: string[] = [];
const ratios: string[] = [];
for (const scenario of SCENARIOS) {
  const p50 = new Map<string, number>();
  for (const sys of SYSTEMS.filter((x) => ONLY === undefined || x.kind === ONLY)) {
    const gaps: number[] = [];
    let doubles = 0;
    for (let t = 0; t < TRIALS; t++) {
      const r = await trial(sys, scenario, t);
      gaps.push(r.gap);
      doubles += r.doubles;
      process.stdout.write(
        `${scenario} | ${sys.name} | trial ${t + 1}: gap ${r.gap.toFixed(0)}ms, double answers ${r.doubles}\n`,
      );
    }
    p50.set(sys.name, pct(gaps, 50));
    rows.push(`| ${scenario} | ${sys.name} | ${pct(gaps, 50).toFixed(0)} | ${pct(gaps, 99).toFixed(0)} | ${doubles} |`);
  }
  // Only for link down: keepalived's SIGKILL gap is short because its VIP stays on the dead daemon's
  // host (double answers), so a ratio there would compare different things.
  const ref = p50.get(REFERENCE);
  if (ref !== undefined && scenario === "owner link down") {
    for (const sys of SYSTEMS.filter((x) => x.kind === "vigil" && p50.has(x.name)))
      ratios.push(`${scenario}: ${sys.name} p50 = ${((p50.get(sys.name) ?? NaN) / ref).toFixed(2)} × ${REFERENCE}`);
  }
}
process.stdout.write(
  `\n${TRIALS} trials per row; client probes every 5ms\n| scenario | system | longest gap p50 (ms) | p99 (ms) | double-answer instants |\n|---|---|---|---|---|\n${rows.join("\n")}\n`,
);
if (ratios.length > 0) process.stdout.write(`\n${ratios.join("\n")}\n`);
