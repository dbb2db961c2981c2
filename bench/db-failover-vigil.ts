// One trial of bench/db-failover.ts against vigil's promotable MariaDB (three hosts, strict semi-sync,
// the VIP): the fault on the primary while the writers run, then every acknowledged row is looked for on
// every server after the old primary rejoined. Throws when the harness breaks (no failover, no rejoin,
// servers that never converge).
import { readFileSync } from "node:fs";
import { DbCluster, type WriterReport } from "../test/helpers/db-cluster.js";
import { WRITERS, watchHolders, type Fault, type Trial } from "./db-failover-trial.js";

/** Pids of every process in a host's namespace. */
function pidsOf(db: DbCluster, host: string): number[] {
  return db.c.lab
    .exec(host, "ip", "netns", "pids", db.c.lab.ns(host))
    .out.trim()
    .split(/\s+/)
    .filter(Boolean)
    .map(Number);
}

function signalAll(db: DbCluster, host: string, signal: NodeJS.Signals): void {
  for (const pid of pidsOf(db, host))
    try {
      process.kill(pid, signal);
    } catch {
      /* gone */
    }
}

function vigilPid(db: DbCluster, host: string): number | undefined {
  return pidsOf(db, host).find((pid) => {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8");
      return cmd.includes("dist/cli/main.js") && cmd.includes("\0run\0");
    } catch {
      return false;
    }
  });
}

/** Runs one trial of `fault` on a started DbCluster (its table created). */
export async function vigilTrial(db: DbCluster, fault: Fault): Promise<Trial> {
  const from = await db.settled(undefined, 120_000);
  const others = db.c.hosts.filter((h) => h !== from);
  const long =
    fault === "partition" ||
    fault === "vigil-kill" ||
    fault === "link-down" ||
    fault === "freeze" ||
    fault === "rejoin-crash";
  let heal = () => undefined as void;
  const watch = watchHolders(db.c);
  const w: WriterReport = await db
    .write(WRITERS, long ? 20_000 : 9_000, 2_000, () => {
      switch (fault) {
        case "crash":
          if (!db.killMariadb(from)) throw new Error(`could not SIGKILL ${from}'s mariadbd`);
          return;
        case "vigil-kill": {
          const pid = vigilPid(db, from);
          if (!pid) throw new Error(`no vigil on ${from}`);
          process.kill(pid, "SIGKILL");
          return;
        }
        case "link-down":
          db.c.lab.link(from, false);
          heal = () => db.c.lab.link(from, true);
          return;
        case "partition":
          db.c.lab.block(
            from,
            others.map((h) => db.addr(h)),
          );
          for (const h of others) db.c.lab.block(h, [db.addr(from)]);
          heal = () => {
            for (const h of db.c.hosts) db.c.lab.unblock(h);
          };
          return;
        case "freeze":
          signalAll(db, from, "SIGSTOP");
          heal = () => signalAll(db, from, "SIGCONT");
          return;
        case "rejoin-crash":
          return db.crashDuringRejoin(from).then((line) => console.log(line));
        case "switchover": {
          const answer = db.post(from, `/groups/web/move?node=${others[0]}`);
          if (!answer.startsWith("200 ")) throw new Error(`vigil move: ${answer}`);
          return;
        }
      }
    })
    .catch(async (err: Error) => {
      await watch.stop();
      throw err;
    });
  // Healed first: a frozen host's kernel still holds the VIP until its vigil resumes and removes it.
  heal();
  const owner = await db.c.waitForOwner(undefined, 60_000).catch(() => undefined);
  const { double, doubleMs, seen } = await watch.stop();
  // A SIGKILLed vigil is restarted after 2s (as systemd does) and may keep the group where it was. The
  // group may also be back on `from` by now: an earlier switchover's `vigil move` pins it there.
  if (!owner || (!seen.some((h) => h !== from) && fault !== "vigil-kill" && fault !== "rejoin-crash"))
    throw new Error(`${fault}: no failover off ${from} (owner ${owner ?? "none"})\n${db.c.tail(20)}`);
  if (w.acked.length === 0) throw new Error(`${fault}: the writers got no acknowledgement at all`);
  await db.until(`${from} rejoined`, () => ["replica", "primary"].includes(db.db(from)?.role ?? ""), 120_000);
  const r = await db.check(w.acked, 120_000);
  if (!r.converged)
    throw new Error(`${fault}: the servers did not converge: ${JSON.stringify(r.hosts)}\n${db.c.tail(40)}`);
  if (new Set(r.hosts.map((h) => h.checksum)).size !== 1)
    throw new Error(`${fault}: the servers' table checksums differ: ${JSON.stringify(r.hosts)}`);
  for (const h of db.c.hosts) db.post(h, "/groups/web/cleanup");
  const t: Trial = {
    fault,
    lost: Math.max(...r.hosts.map((h) => h.missing ?? Infinity)),
    dup: Math.max(...r.hosts.map((h) => h.duplicates ?? 0)),
    gapMs: w.longestGapMs,
    acked: w.acked.length,
    double,
    doubleMs,
  };
  console.log(`vigil ${fault}: ${JSON.stringify(t)} (${w.unknown.length} unknown, ${w.failed} failed connects)`);
  return t;
}
