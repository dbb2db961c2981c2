// The field reports' insert test over many trials, two systems side by side under the same faults, several
// writers inserting unique rows through a VIP as fast as commits return:
// - vigil: its promotable MariaDB (three hosts, strict semi-sync, the VIP; bench/db-failover-vigil.ts).
//   Lost: acknowledged rows missing on any server after the old primary rejoined (must be 0).
// - keepalived: the field's own setup (test/helpers/keepalived-db.ts; bench/db-failover-keepalived.ts), a
//   primary + replica pair with MariaDB's default semi-sync (10s timeout, AFTER_COMMIT) and keepalived
//   (advert_int 1, BACKUP + nopreempt, a mariadb-admin ping check) moving the VIP, its notify script
//   promoting the replica (STOP SLAVE, read_only=0). No rejoin: the pair is rebuilt before each trial.
//   Lost: acknowledged rows missing on the new primary (the VIP's holder once the fault healed).
// Per trial also: rows present twice, the writers' longest gap without an acknowledgement, how long two
// hosts held the VIP. The harness throws when its own setup breaks (a trial that never fails over, servers
// that never start or converge, writers with no result or no acknowledgement at all).
// Faults: mariadbd SIGKILLed (keepalived: restarted after 5s, as Debian's mariadb.service does); the
// primary's HA daemon SIGKILLed (vigil is restarted after 2s as by its unit, keepalived's unit has no
// Restart=); the primary's link down; the primary cut off from the replicas but not from the clients;
// the whole primary frozen (SIGSTOP of every process of the host, as `docker pause`) and resumed when the
// writers stop; a planned switchover (vigil move; keepalived: stopping keepalived on the primary); vigil
// only: a second failure during the rejoin of the first (the new primary's mariadbd SIGKILLed while the
// old primary is not yet replicating from it; the group goes to the third host).
// Usage (root): npx tsx bench/db-failover.ts [--systems vigil,keepalived] [--trials 20]
//                 [--faults crash,vigil-kill|keepalived-kill,link-down,partition,freeze,switchover,rejoin-crash]
//        npx tsx bench/db-failover.ts --from-logs RUN1.log,RUN2.log   (the tables of earlier runs' per-trial
//                 lines together, when one run was cut short: nothing is run)
// Last lines: db-failover keepalived: lost=N dup=N gap_p50_ms=N gap_p99_ms=N trials=N double_vip_trials=N
//             db-failover: lost=N dup=N gap_p50_ms=N gap_p99_ms=N trials=N   (vigil; always the last line)
import { readFileSync } from "node:fs";
import { DbCluster } from "../test/helpers/db-cluster.js";
import { ADVERT_INT, KeepalivedDb } from "../test/helpers/keepalived-db.js";
import { netnsUnavailable } from "../test/helpers/netns.js";
import { ALL_FAULTS, VIGIL_ONLY, pct, type Fault, type Trial } from "./db-failover-trial.js";
import { keepalivedTrial } from "./db-failover-keepalived.js";
import { vigilTrial } from "./db-failover-vigil.js";

const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const TRIALS = Number(arg("--trials") ?? 20);
const FAULTS = (arg("--faults")?.split(",") ?? [...ALL_FAULTS]).map((f) =>
  f === "keepalived-kill" ? "vigil-kill" : f,
);
const SYSTEMS = arg("--systems")?.split(",") ?? ["vigil", "keepalived"];
for (const f of FAULTS) if (!(ALL_FAULTS as readonly string[]).includes(f)) throw new Error(`unknown fault ${f}`);
for (const s of SYSTEMS) if (s !== "vigil" && s !== "keepalived") throw new Error(`unknown system ${s}`);

const sum = (ts: Trial[], k: "lost" | "dup") => ts.reduce((a, t) => a + t[k], 0);
const doubles = (ts: Trial[]) => ts.filter((t) => t.double).length;

/** Prints one system's table (the same columns for both). */
function table(title: string, results: Trial[], name: (f: Fault) => string): void {
  console.log(`\n${title}\n`);
  console.log(
    "| fault | trials | acknowledged rows lost | duplicates | write gap p50 | p99 | trials with two VIP holders |",
  );
  console.log("|---|---|---|---|---|---|---|");
  for (const f of FAULTS as Fault[]) {
    const ts = results.filter((t) => t.fault === f);
    if (ts.length === 0) continue;
    const gaps = ts.map((t) => t.gapMs);
    const longest = Math.max(0, ...ts.map((t) => t.doubleMs));
    console.log(
      `| ${name(f)} | ${ts.length} | ${sum(ts, "lost")} | ${sum(ts, "dup")} | ${pct(gaps, 50)}ms | ${pct(gaps, 99)}ms | ${doubles(ts)}${longest ? ` (longest ~${(longest / 1000).toFixed(1)}s)` : ""} |`,
    );
  }
}

function summary(results: Trial[]): string {
  const gaps = results.map((t) => t.gapMs);
  return `lost=${sum(results, "lost")} dup=${sum(results, "dup")} gap_p50_ms=${pct(gaps, 50)} gap_p99_ms=${pct(gaps, 99)} trials=${results.length}`;
}

async function runKeepalived(): Promise<{ results: Trial[]; settings: string }> {
  const ka = new KeepalivedDb("kab");
  const results: Trial[] = [];
  let settings = "";
  try {
    await ka.prepare();
    for (let i = 0; i < TRIALS; i++)
      for (const f of (FAULTS as Fault[]).filter((x) => !VIGIL_ONLY.includes(x))) {
        results.push(await keepalivedTrial(ka, f));
        settings ||= ka.semiSyncSettings();
      }
  } finally {
    await ka.destroy();
  }
  return { results, settings };
}

async function runVigil(): Promise<Trial[]> {
  const db = new DbCluster("dbb");
  const results: Trial[] = [];
  try {
    await db.start();
    await db.settled(undefined, 180_000);
    db.createTable();
    for (let i = 0; i < TRIALS; i++) for (const f of FAULTS as Fault[]) results.push(await vigilTrial(db, f));
  } finally {
    if (db.restarts.length) console.log(`vigil restarted after a fail-stop: ${db.restarts.join(", ")}`);
    await db.destroy();
  }
  return results;
}

/** The per-trial lines of earlier runs ("vigil crash: {...}", "keepalived partition: {...}"), by system. */
function fromLogs(files: string[]): { ka?: { results: Trial[]; settings: string }; vigil?: Trial[] } {
  const ka: Trial[] = [];
  const vigil: Trial[] = [];
  for (const file of files)
    for (const line of readFileSync(file, "utf8").split("\n")) {
      const m = /^(vigil|keepalived) [a-z-]+: (\{[^}]*\})/.exec(line);
      if (!m) continue;
      const t = JSON.parse(m[2] as string) as Trial;
      if (m[1] === "vigil") vigil.push(t);
      else ka.push({ ...t, fault: t.fault === ("keepalived-kill" as Fault) ? "vigil-kill" : t.fault });
    }
  return {
    ...(ka.length > 0 ? { ka: { results: ka, settings: "as in the runs' logs" } } : {}),
    ...(vigil.length > 0 ? { vigil } : {}),
  };
}

async function main(): Promise<void> {
  const logs = arg("--from-logs");
  const why = logs ? undefined : netnsUnavailable();
  if (why) throw new Error(`db-failover needs network namespaces (root): ${why}`);
  const earlier = logs ? fromLogs(logs.split(",")) : undefined;
  const ka = earlier ? earlier.ka : SYSTEMS.includes("keepalived") ? await runKeepalived() : undefined;
  const vigil = earlier ? earlier.vigil : SYSTEMS.includes("vigil") ? await runVigil() : undefined;
  if (ka)
    table(
      `keepalived + notify script: h1 primary + h2 replica (the field's pair), MariaDB default semi-sync (${ka.settings}), advert_int ${ADVERT_INT}s, nopreempt; lost = acknowledged rows missing on the new primary`,
      ka.results,
      (f) => (f === "vigil-kill" ? "keepalived-kill" : f),
    );
  if (vigil)
    table(
      "vigil: three hosts, strict semi-sync; lost = acknowledged rows missing on any server after the rejoin",
      vigil,
      (f) => f,
    );
  console.log("");
  if (ka) console.log(`db-failover keepalived: ${summary(ka.results)} double_vip_trials=${doubles(ka.results)}`);
  if (vigil) console.log(`db-failover: ${summary(vigil)}`);
}

main().catch((err: Error) => {
  console.error(`db-failover: FAILED: ${err.message}`);
  process.exit(1);
});
