// Failover time of a VIP-only group against a group with a 5s stop budget, in network namespaces, with
// the count of instants at which a resource was active on two hosts (must be 0). The slow group adds an
// exec resource whose holder process writes a line every 2ms (test/helpers/activity.ts), stop limit
// 1.9s: 1.9s + 1s SIGTERM grace + 1s SIGKILL bound + the guard's 1.1s reserve = a 5.0s stop budget.
// Scenarios: the owner's daemon is SIGKILLed (its guard stays), the owner is cut off from its peers
// (not from the client). A client connects to the VIP every 5ms; the gap is its longest time without
// an answer. One cluster per group; after each trial the old owner is restored and the next trial
// fails the new owner. The harness throws when a trial never fails over or its setup breaks.
// Usage (root): npx tsx bench/resource-failover.ts [--trials 20]
import { appendFileSync } from "node:fs";
import { Activity, overlaps } from "../test/helpers/activity.js";
import { NetnsCluster } from "../test/helpers/netns-cluster.js";
import { netnsUnavailable } from "../test/helpers/netns.js";

const trialsArg = process.argv.indexOf("--trials");
const TRIALS = trialsArg >= 0 ? Number(process.argv[trialsArg + 1]) : 20;
const SCENARIOS = ["owner daemon SIGKILL", "owner cut off"] as const;
const GROUPS = [
  { name: "VIP only", budgetMs: 0, probeMs: 5000 },
  { name: "VIP + exec, 5s stop budget", budgetMs: 5000, probeMs: 11000 },
];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)] ?? NaN;

/** Waits until every host has joined and exactly one runs the group with its lease; that host. */
async function settled(c: NetnsCluster, timeoutMs = 30_000): Promise<string> {
  await c.waitForMembers(timeoutMs);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const all = c.hosts.map((h) => c.status(h));
    const owners = all.filter((s) => s?.groups.web === "running" && s.holds.includes("web"));
    if (all.every((s) => s !== undefined) && owners.length === 1 && c.vipHolders().length === 1) {
      const owner = c.vipHolders()[0] as string;
      if (all[c.hosts.indexOf(owner)] === owners[0]) return owner;
    }
    await sleep(100);
  }
  throw new Error(
    `the cluster did not settle within ${timeoutMs}ms (VIP on: ${c.vipHolders().join(",") || "none"})\n${c.tail()}`,
  );
}

function cutOff(c: NetnsCluster, host: string): void {
  const addr = (h: string) => c.lab.addr(11 + c.hosts.indexOf(h));
  const others = c.hosts.filter((h) => h !== host);
  c.lab.block(host, others.map(addr));
  for (const h of others) c.lab.block(h, [addr(host)]);
}

/** One group's trials: per scenario, client gaps, activity takeover times and double counts. */
async function runGroup(group: (typeof GROUPS)[number]): Promise<string[]> {
  const c = new NetnsCluster("bf", "    failback: false\n");
  const rows: string[] = [];
  try {
    const activity = new Activity(c.dir, (ns) => c.hosts.find((h) => c.lab.ns(h) === ns) ?? ns);
    if (group.budgetMs > 0) {
      appendFileSync(
        `${c.dir}/vigil.yaml`,
        `      - { type: exec, path: ${activity.script}, timeouts: { start: 5s, stop: 1900ms } }\n`,
      );
    }
    await c.start();
    const all = () => c.hosts.map((h) => c.lab.ns(h));
    for (const scenario of SCENARIOS) {
      const gaps: number[] = [];
      const takeovers: number[] = [];
      let doubleAnswers = 0;
      for (let t = 0; t < TRIALS; t++) {
        const owner = await settled(c);
        await sleep(300);
        const before = activity.intervals(all()).length;
        let t0 = 0;
        const r = await c.probe(group.probeMs, 400, async () => {
          t0 = Number(process.hrtime.bigint()) / 1e6;
          if (scenario === "owner cut off") cutOff(c, owner);
          else await c.signalVigil(owner, "SIGKILL");
        });
        const ok = r.answers.filter((a) => a.host !== "-");
        const last = ok.at(-1)?.host;
        if (last === undefined || last === owner)
          throw new Error(`${group.name}, ${scenario}, trial ${t + 1}: no failover from ${owner}\n${c.tail()}`);
        if (group.budgetMs > 0) {
          const next = activity
            .intervals(all())
            .slice(before)
            .find((i) => i.host !== owner && i.from > t0);
          if (!next) throw new Error(`${group.name}, trial ${t + 1}: ${last} answers but its resource never started`);
          takeovers.push(next.from - t0);
        }
        gaps.push(r.longestGap);
        doubleAnswers += r.doubleAnswers;
        if (scenario === "owner cut off") for (const h of c.hosts) c.lab.unblock(h);
        else c.startVigil(owner);
        process.stdout.write(
          `${group.name} | ${scenario} | trial ${t + 1}: ${owner}→${last}, client gap ${r.longestGap.toFixed(0)}ms` +
            `${takeovers.length ? `, resource takeover ${takeovers.at(-1)?.toFixed(0)}ms` : ""}, double answers ${r.doubleAnswers}\n`,
        );
      }
      const doubleActivity = overlaps(activity.intervals(all())).length;
      const take = takeovers.length ? `${pct(takeovers, 50).toFixed(0)} / ${Math.max(...takeovers).toFixed(0)}` : "-";
      rows.push(
        `| ${group.name} | ${scenario} | ${pct(gaps, 50).toFixed(0)} | ${pct(gaps, 99).toFixed(0)} | ${take} | ${doubleAnswers} | ${group.budgetMs > 0 ? doubleActivity : "-"} |`,
      );
    }
  } finally {
    await c.destroy();
  }
  return rows;
}

const why = netnsUnavailable();
if (why) {
  process.stderr.write(`cannot run: ${why}\n`);
  process.exit(2);
}
const rows: string[] = [];
for (const group of GROUPS) rows.push(...(await runGroup(group)));
process.stdout.write(
  `\n${TRIALS} trials per row; heartbeat 25ms, lease 150ms; client probes every 5ms\n` +
    `| group | scenario | client gap p50 (ms) | p99 (ms) | resource takeover p50 / max (ms) | double-answer instants | double-activity instants |\n` +
    `|---|---|---|---|---|---|---|\n${rows.join("\n")}\n`,
);
