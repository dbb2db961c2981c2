// One trial of bench/db-failover.ts against the field reports' own setup (test/helpers/keepalived-db.ts):
// the pair is rebuilt healthy (h1 primary with the VIP, h2 its semi-sync replica), the writers run 25s
// (longer than vigil's: a promoted replica's first commit waits out the 10s semi-sync timeout), the fault
// hits h1 2s in and is healed when they stop. Then the acknowledged rows are looked for on the new
// primary: the host holding the VIP once the VRRP instances heard each other again (the one the client
// reaches through the VIP while two hold it). Throws when the harness breaks (no failover at all, no
// acknowledged row, no VIP holder); lost rows and two VIP holders are results.
import { setTimeout as sleep } from "node:timers/promises";
import { checkServers, runWriters } from "../test/helpers/insert-test.js";
import { ADVERT_INT, type KeepalivedDb } from "../test/helpers/keepalived-db.js";
import { WRITERS, watchHolders, type Fault, type Trial } from "./db-failover-trial.js";

/** How long the writers run per trial (ms). */
const WRITE_MS = 25_000;
/** Debian's mariadb.service restarts a crashed server (Restart=on-abnormal) after RestartSec=5s. */
const MARIADB_RESTART_MS = 5_000;

/** The notify calls of a host, condensed ("backup master fault"). */
function states(ka: KeepalivedDb, host: string): string {
  return ka
    .notifyLog(host)
    .split("\n")
    .filter((l) => l.endsWith(" begin"))
    .map((l) => l.split(" ")[1])
    .join(" ");
}

/** Resets the pair and runs one trial of `fault`. */
export async function keepalivedTrial(ka: KeepalivedDb, fault: Fault): Promise<Trial> {
  const name = fault === "vigil-kill" ? "keepalived-kill" : fault;
  await ka.reset();
  const [from, to] = ka.hosts as [string, string];
  let heal = () => undefined as void;
  let restart: Promise<void> | undefined;
  const watch = watchHolders(ka.c);
  const w = await runWriters(ka.target(), ka.c.vip, ka.run, WRITERS, WRITE_MS, 2_000, async () => {
    switch (fault) {
      case "crash":
        if (!ka.killServer(from)) throw new Error(`could not SIGKILL ${from}'s mariadbd`);
        restart = sleep(MARIADB_RESTART_MS).then(() => ka.startServer(from));
        return;
      case "vigil-kill":
        // Debian's keepalived.service has no Restart=: it stays dead.
        ka.c.killDaemon(from, "keepalived");
        return;
      case "link-down":
        ka.c.lab.link(from, false);
        heal = () => ka.c.lab.link(from, true);
        return;
      case "partition":
        ka.c.lab.block(from, [ka.addr(to)]);
        ka.c.lab.block(to, [ka.addr(from)]);
        heal = () => {
          for (const h of ka.hosts) ka.c.lab.unblock(h);
        };
        return;
      case "freeze":
        ka.signalAll(from, "SIGSTOP");
        heal = () => ka.signalAll(from, "SIGCONT");
        return;
      case "switchover":
        // The planned switchover: `systemctl stop keepalived` on the primary (SIGTERM).
        await ka.c.signalVigil(from, "SIGTERM");
        return;
    }
  }).catch(async (err: Error) => {
    await watch.stop();
    throw err;
  });
  heal();
  await restart;
  // Healed: the instances hear each other within an advertisement or two; wait for one holder (15s).
  await sleep(4_000 * ADVERT_INT);
  await ka.c.waitForOwner(undefined, 15_000).catch(() => undefined);
  const { double, doubleMs, seen } = await watch.stop();
  const notes = `notify ${from}: ${states(ka, from)}; ${to}: ${states(ka, to)}; VIP seen on ${seen.join(",")}`;
  if (!ka.notified(to, "master begin"))
    throw new Error(`keepalived ${name}: no failover, ${to} never became MASTER (${notes})\n${ka.c.tail(20)}`);
  if (w.acked.length === 0) throw new Error(`keepalived ${name}: the writers got no acknowledgement at all (${notes})`);
  const holders = ka.c.vipHolders();
  const primary = holders.length === 1 ? holders[0] : await ka.reachedViaVip(30_000);
  if (!primary) throw new Error(`keepalived ${name}: no host holds the VIP after the fault (${notes})`);
  const r = await checkServers(ka.target(), ka.run, w.acked, 20_000, [ka.addr(primary)]);
  const h = r.hosts[0];
  if (!h || h.missing === undefined)
    throw new Error(`keepalived ${name}: the new primary ${primary} could not be checked: ${JSON.stringify(r.hosts)}`);
  // Where the missing rows went: the replica's relay log, received but not applied at its promotion.
  const replica = `${to} ${ka.replicated(to)}`;
  const t: Trial = {
    fault,
    lost: h.missing,
    dup: h.duplicates ?? 0,
    gapMs: w.longestGapMs,
    acked: w.acked.length,
    double,
    doubleMs,
  };
  console.log(
    `keepalived ${name}: ${JSON.stringify({ ...t, fault: name })} (new primary ${primary}${h.readOnly ? ", read-only" : ""}, holders now ${holders.join(",") || "none"}; ${w.unknown.length} unknown, ${w.failed} failed connects; ${replica}; ${notes})`,
  );
  return t;
}
