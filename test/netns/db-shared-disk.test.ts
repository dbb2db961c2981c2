// The shared-disk form of the field reports' insert test (heartbeat or pacemaker + a shared disk + MySQL):
// one group of the real OCF Filesystem agent on an ext4 loop device that every host sees, a plain
// mariadbd on it (an `exec` resource, test/netns/mariadbd.sh) and a VIP, on three vigil hosts in network
// namespaces, each with its own mount namespace. Writers insert unique rows through the VIP as fast as
// commits return while the owner is cut off from its peers (it self-fences), on a planned move, and while
// the owner's vigil is SIGKILLed (its guard stops the resources; last, so no restart is waited for).
// Afterwards every acknowledged row is in the table on the new owner, none twice, mariadbd runs on that
// host only, and a watcher that read every host's mount table every 2ms never saw the file system
// mounted on two hosts at once.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { describeIntervals, monotonicNow, overlaps } from "../helpers/activity.js";
import { DbCluster, DB_PASSWORD, DB_USER, type WriterReport } from "../helpers/db-cluster.js";
import { LoopDisk, loopDiskUnavailable } from "../helpers/loop-disk.js";
import { MountWatch } from "../helpers/mount-watch.js";
import { netnsUnavailable } from "../helpers/netns.js";

const FILESYSTEM = "/usr/lib/ocf/resource.d/heartbeat/Filesystem";
const SCRIPT = new URL("./mariadbd.sh", import.meta.url).pathname;
const MAIN = new URL("../../dist/cli/main.js", import.meta.url).pathname;
/** What the Filesystem agent refuses to run without (its Debian package). */
const AGENT_NEEDS: [string, string][] = [
  ["modprobe", "kmod"],
  ["fuser", "psmisc"],
];
const why =
  netnsUnavailable() ??
  (existsSync(FILESYSTEM) ? undefined : `${FILESYSTEM} is missing (Debian package resource-agents)`) ??
  AGENT_NEEDS.filter(([tool]) => spawnSync("sh", ["-c", `command -v ${tool}`]).status !== 0)
    .map(([tool, pkg]) => `${tool} is missing (Debian package ${pkg}; the Filesystem agent needs it)`)
    .at(0) ??
  loopDiskUnavailable();
if (why) process.stderr.write(`\n!!! SKIPPING the shared-disk database test: ${why}\n\n`);

const WRITERS = 4;
/** Filesystem stop 4s + mariadbd stop 8s, each with 1s grace and 1s SIGKILL, + the guard's reserve (4 ×
 * 100ms to notice a silent daemon, 1s SIGKILL): what `vigil check` must report. Small, so that the two
 * takeovers from an owner that cannot report fit the suite's time. */
const BUDGET = "17.4s";
/** When the fault comes, ms into the writers' run; how long they go on once writes resumed after it. */
const FAULT_AT = 1_500;
const SETTLE = 2_000;

describe("shared-disk MariaDB (OCF Filesystem + mariadbd + VIP)", { skip: why, concurrency: false }, () => {
  let disk: LoopDisk | undefined;
  let db: DbCluster;
  let watch: MountWatch | undefined;
  const t0 = monotonicNow();
  /** One line per fault: how long the takeover took (reported, not asserted: that measures the machine). */
  const figures: string[] = [];

  before(async () => {
    disk = new LoopDisk();
    disk.attach();
    disk.initMariadb(DB_USER, DB_PASSWORD);
    const mnt = join(disk.dir, "mnt");
    mkdirSync(mnt);
    const fs = `{ type: ocf, agent: heartbeat/Filesystem, params: { device: ${disk.device}, directory: ${mnt}, fstype: ext4 }, monitor: { interval: 2s, timeout: 10s }, timeouts: { start: 20s, stop: 4s } }`;
    const server = `{ type: exec, path: ${SCRIPT}, args: [${mnt}, ${join(disk.dir, "run")}, "6"], monitor: { interval: 1s, timeout: 5s }, timeouts: { start: 30s, stop: 8s } }`;
    db = new DbCluster("sd", { ownMounts: true, resources: `      - ${fs}\n      - ${server}\n` });
    watch = new MountWatch(
      disk.device,
      db.c.hosts.map((h) => [h, db.c.lab.mountHolder(h)]),
    );
    await watch.ready();
    await db.start();
    await ready("h1");
    db.createTable();
  });

  after(async () => {
    try {
      if (figures.length) process.stderr.write(`\nshared-disk takeovers:\n  ${figures.join("\n  ")}\n`);
      await watch?.stop();
      if (watch?.stats) console.log(`mount watcher: ${watch.stats.polls} polls, longest gap ${watch.stats.maxGapMs}ms`);
      if (db?.restarts.length) console.log(`vigil restarted after a fail-stop: ${db.restarts.join(", ")}`);
      await db?.destroy();
    } finally {
      await disk?.destroy();
    }
  });

  /** Waits until one host (`want`, if given) holds the VIP with the group running; returns it. */
  async function ready(want?: string): Promise<string> {
    const owner = await db.c.waitForOwner(want, 60_000);
    await db.until(`web running on ${owner}`, () => db.c.status(owner)?.groups.web === "running", 60_000);
    return owner;
  }

  /** The hosts on which a mariadbd process runs. */
  function serverHosts(): string[] {
    return db.c.hosts.filter((h) =>
      spawnSync("ip", ["netns", "pids", db.c.lab.ns(h)], { encoding: "utf8" })
        .stdout.split(/\s+/)
        .filter(Boolean)
        .some((pid) => {
          try {
            return readFileSync(`/proc/${pid}/comm`, "utf8").trim() === "mariadbd";
          } catch {
            return false;
          }
        }),
    );
  }

  /** What every fault must leave: the rows, one server, the disk mounted on the new owner only and never
   * on two hosts at once; reports how long the takeover took. */
  async function verify(what: string, w: WriterReport, from: string, to: string, faultAt: number): Promise<void> {
    assert.notEqual(to, from, `${what}: the group moved off ${from}`);
    const r = await db.check(w.acked, 30_000, [to]);
    const summary = `${what}: ${w.acked.length} acknowledged, ${w.unknown.length} unknown, ${w.failed} failed connects, longest write gap ${w.longestGapMs}ms; ${to}: ${JSON.stringify(r.hosts[0])}`;
    console.log(summary);
    const intervals = watch?.intervals() ?? [];
    const mounted = intervals.filter((i) => i.running).map((i) => i.host);
    const unmounted = intervals
      .filter((i) => i.host === from && i.from < faultAt && i.to > faultAt && !i.running)
      .at(-1);
    const remounted = intervals.find((i) => i.host === to && i.from > faultAt);
    const figure =
      `${what}: ${from} unmounted ${unmounted ? Math.round(unmounted.to - faultAt) : "?"}ms after the fault, ` +
      `${to} mounted ${remounted ? Math.round(remounted.from - faultAt) : "?"}ms after it, writes resumed after a ${w.longestGapMs}ms gap`;
    figures.push(figure);
    console.log(`${figure} (mounts: ${describeIntervals(intervals, t0)})`);
    assert.deepEqual(watch?.errors(), [], `${what}: the mount watcher could not read a host's mount table`);
    assert.deepEqual(
      overlaps(intervals).map((o) => `${o.a.host} and ${o.b.host} for ${Math.round(o.ms)}ms`),
      [],
      `${what}: the file system was mounted on two hosts at once (${describeIntervals(intervals, t0)})`,
    );
    assert.deepEqual(mounted, [to], `${what}: the disk is mounted on ${to} only`);
    assert.ok(unmounted, `${what}: ${from} had the disk mounted at the fault and unmounted it`);
    assert.deepEqual(serverHosts(), [to], `${what}: mariadbd runs on ${to} only`);
    assert.ok(w.acked.length > 50, `${what}: too few acknowledgements to mean anything (${summary})`);
    const h = r.hosts[0];
    assert.equal(h?.error, undefined, `${what}: ${to} did not answer (${summary})`);
    assert.equal(h?.missing, 0, `${what}: ${to} lacks ${h?.missing} acknowledged rows (${summary})`);
    assert.equal(h?.duplicates, 0, `${what}: ${to} has rows twice (${summary})`);
  }

  it(`vigil check reports the group's stop budget (${BUDGET}): a takeover from an unreachable owner waits for it`, () => {
    const r = spawnSync(process.execPath, [MAIN, "check", "-c", join(db.c.dir, "vigil.yaml")], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const line = r.stdout.split("\n").find((l) => l.includes("stop budget"));
    console.log(`vigil check: ${line?.trim()}`);
    assert.match(line ?? "", new RegExp(`stop budget ${BUDGET.replace(".", "\\.")} .*lease \\+ budget`));
  });

  it("the owner cut off from its peers (not from the clients): it self-fences, the majority takes over", async () => {
    const from = await ready();
    const others = db.c.hosts.filter((h) => h !== from);
    const mark = db.c.fullLog(from).length;
    let at = 0;
    const w = await db.write(
      WRITERS,
      50_000,
      FAULT_AT,
      () => {
        at = monotonicNow();
        db.c.lab.block(
          from,
          others.map((h) => db.addr(h)),
        );
        for (const h of others) db.c.lab.block(h, [db.addr(from)]);
      },
      SETTLE,
    );
    for (const h of db.c.hosts) db.c.lab.unblock(h);
    const to = await ready();
    await verify("cut off", w, from, to, at);
    const log = db.c.fullLog(from).slice(mark);
    assert.match(log, new RegExp(`${from} stops web: its lease .* without a quorum \\(self-fence\\)`));
    assert.match(log, /ocf heartbeat\/Filesystem \(web-0\) stop: exit 0/);
    await db.c.waitForMembers(30_000);
  });

  it("a planned move (vigil move): stopped and unmounted there, then mounted and started on the target", async () => {
    const from = await ready();
    const target = db.c.hosts.find((h) => h !== from) as string;
    let at = 0;
    const w = await db.write(
      WRITERS,
      10_000,
      FAULT_AT,
      () => {
        at = monotonicNow();
        const answer = db.post(from, `/groups/web/move?node=${target}`);
        assert.match(answer, /^200 /, `vigil move web ${target}: ${answer}`);
      },
      SETTLE,
    );
    const to = await ready(target);
    await verify("move", w, from, to, at);
  });

  it("the owner's vigil SIGKILLed: its guard stops mariadbd and unmounts, the group starts elsewhere after lease + budget", async () => {
    const from = await ready();
    const mark = db.c.fullLog(from).length;
    let at = 0;
    const w = await db.write(
      WRITERS,
      50_000,
      FAULT_AT,
      async () => {
        at = monotonicNow();
        await db.killVigil(from);
      },
      SETTLE,
    );
    const to = await ready();
    await verify("vigil SIGKILL", w, from, to, at);
    const log = db.c.fullLog(from).slice(mark);
    assert.match(log, /guard: web: .* and the lease ran out; stopping the group/);
    assert.match(log, /guard: ocf heartbeat\/Filesystem \(web-0\) stop: exit 0/);
    assert.match(log, /guard: web: stopped/);
    // Last: the killed vigil stays down (a test after this one would need its vote).
  });
});
