// `coordination: etcd` under the faults issue 16 names, with real parts: three etcd members (e1..e3) and
// three vigil hosts (h1..h3) in network namespaces on one bridge, a VIP in front of a small service on
// each host, and a client probing the VIP every 5ms. The etcd leader SIGKILLed, the etcd leader frozen,
// the first-listed member cut off from the others (a minority that still answers): nothing moves. The owner cut off from etcd but not from its clients: it stops before another host
// starts (0 instants with answers from two hosts). The owner's daemon frozen past the TTL: another takes
// over, and the resumed one holds nothing and changes nothing in etcd. All of etcd down: no host serves;
// back: one host serves. Skipped, loudly, without root or etcd.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { after, before, describe, it } from "node:test";
import { etcdVersionProblem } from "../../src/core/etcd/version-floor.js";
import { etcdMissing } from "../helpers/etcd.js";
import { assertFollowed, NetnsCluster } from "../helpers/netns-cluster.js";
import { netnsUnavailable } from "../helpers/netns.js";
import { NetnsEtcd } from "../helpers/netns-etcd.js";

const why = netnsUnavailable() ?? (etcdMissing() || undefined);
if (why) process.stderr.write(`\n!!! SKIPPING the etcd fault tests: ${why}\n\n`);

const PREFIX = "/vigil/lab";
/** Whether the installed etcd is below the version floor (it may drop leases early, etcd issue 15247). */
const BELOW_FLOOR =
  etcdVersionProblem(
    /etcd Version: (\S+)/.exec(spawnSync("etcd", ["--version"], { encoding: "utf8" }).stdout)?.[1] ?? "",
  ) !== undefined;
/** The session TTL: well above an etcd election (1s election timeout, up to 2–2.5s here under load), as
 * docs/etcd.md asks; at 3s an election after the leader's freeze or cut-off outlasted a session. */
const TTL_S = 5;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("coordination: etcd under faults (3 etcd members, 3 vigil hosts, namespaces)", { skip: why }, () => {
  let c: NetnsCluster;
  let etcd: NetnsEtcd;

  before(async () => {
    c = new NetnsCluster("et", "    failback: false\n", "", {
      clusterYaml: `  coordination: etcd\n  etcd: { endpoints: [http://LABNET.31:2379, http://LABNET.32:2379, http://LABNET.33:2379], prefix: ${PREFIX}, ttl: ${TTL_S}s }\n  heartbeat: { interval: 100ms, lease: 1s }\n`,
    });
    etcd = new NetnsEtcd(c.lab);
    await etcd.start();
    await c.start();
    await c.waitForOwner("h1", 30_000);
  });
  after(async () => {
    await etcd?.stop();
    await c?.destroy();
  });

  /** The host holding the VIP now (exactly one). */
  const owner = () => c.waitForOwner(undefined, 30_000);

  it("runs web on its preferred host with its lock and the leader key in etcd", () => {
    assert.equal(etcd.get(`${PREFIX}/lock/web`), "h1");
    assert.ok(["h1", "h2", "h3"].includes(etcd.get(`${PREFIX}/leader`) ?? ""), "a leader key names a host");
  });

  /** Runs `fault` while the client probes, and asserts that nothing moved: only the owner answered, it
   * still answers, and web's lock in etcd is the very same key (same creating revision: never lost).
   * One exception, on an etcd below the version floor (Debian's 3.4.23 here): etcd issue 15247 can make
   * etcd drop leases early after a leader change; then the owner is told its lease is gone and web may
   * move, but never with answers from two hosts at once, and something serves at the end. The same when
   * etcd answered no host's keepalive for a whole TTL (an election that outlasted it: every session ended). */
  async function nothingMoves(fault: () => Promise<void>): Promise<void> {
    const at = await owner();
    const lock = etcd.getKv(`${PREFIX}/lock/web`);
    assert.equal(lock?.value, at);
    const marks = new Map(c.hosts.map((h) => [h, c.log(h).length]));
    const r = await c.probe(3 * TTL_S * 1000, 300, fault);
    const answered = r.answers.filter((a) => a.host !== "-");
    assert.equal(r.doubleAnswers, 0, "no instant with answers from two hosts");
    assert.ok(
      answered.length > 0 && (await owner()) === answered.at(-1)?.host,
      `something serves at the end\n${c.tail()}`,
    );
    const since = (h: string) => c.log(h).slice(marks.get(h));
    const dropped = c.hosts.some((h) => /etcd no longer has its lease/.test(since(h)));
    if (dropped && BELOW_FLOOR) {
      process.stderr.write("# etcd dropped a session lease early after its leader change (etcd issue 15247)\n");
      return;
    }
    // etcd answered no host's keepalive for a whole session (its election outlasted the TTL): every
    // session ended, and a move is then right.
    if (c.hosts.every((h) => /no keepalive was answered within its validity/.test(since(h)))) {
      process.stderr.write("# etcd answered no keepalive of any host for a whole TTL: every session ended\n");
      return;
    }
    const hosts = new Set(answered.map((a) => a.host));
    assert.deepEqual([...hosts], [at], `only ${at} answered (${[...hosts].join(", ")})\n${c.tail()}`);
    assert.deepEqual(etcd.getKv(`${PREFIX}/lock/web`), lock, `web's lock was never lost\n${c.tail()}`);
  }

  const leader = () => {
    const i = etcd.leader();
    assert.ok(i !== undefined, `an etcd leader:\n${etcd.logs()}`);
    return i;
  };

  it("keeps web where it is, lock and all, while the etcd leader is SIGKILLed and restarted", async () => {
    const i = leader();
    await nothingMoves(async () => {
      await etcd.kill(i);
      await sleep(TTL_S * 1000);
      await etcd.restart(i);
    });
  });

  it("keeps web where it is while the etcd leader is frozen (SIGSTOP) past the TTL", async () => {
    const i = leader();
    await nothingMoves(async () => {
      etcd.freeze(i, true);
      await sleep(1.5 * TTL_S * 1000);
      etcd.freeze(i, false);
    });
  });

  it("keeps web where it is while the member listed first is cut off from the other two (an etcd minority)", async () => {
    const [m1, m2, m3] = etcd.members.map((m) => m.address) as [string, string, string];
    await nothingMoves(async () => {
      c.lab.block("e1", [m2, m3]);
      c.lab.block("e2", [m1]);
      c.lab.block("e3", [m1]);
      await sleep(1.5 * TTL_S * 1000);
      for (const e of ["e1", "e2", "e3"]) c.lab.unblock(e);
    });
  });

  it("stops web on an owner cut off from etcd (not from its clients) before another host starts it", async () => {
    const from = await owner();
    const r = await c.probe(6 * TTL_S * 1000, 500, () => {
      c.lab.block(
        from,
        etcd.members.map((m) => m.address),
      );
    });
    const to = r.answers.filter((a) => a.host !== "-").at(-1)?.host ?? "none";
    assert.notEqual(to, from, `web left ${from}\n${c.tail()}`);
    assertFollowed(r, from, to, 500, "cut off from etcd");
    c.lab.unblock(from);
    assert.equal(etcd.get(`${PREFIX}/lock/web`), to);
  });

  it("takes web over from an owner whose daemon froze past the TTL; resumed, it holds nothing and writes nothing", async () => {
    const from = await owner();
    const r = await c.probe(6 * TTL_S * 1000, 500, async () => {
      await c.signalVigil(from, "SIGSTOP");
      await sleep(3 * TTL_S * 1000);
    });
    const to = r.answers.filter((a) => a.host !== "-").at(-1)?.host ?? "none";
    assert.notEqual(to, from, `web left ${from}\n${c.tail()}`);
    assert.equal(r.doubleAnswers, 0, "no instant with answers from two hosts");
    const before = etcd.get(`${PREFIX}/lock/web`);
    assert.equal(before, to);
    const mark = c.log(from).length;
    await c.signalVigil(from, "SIGCONT");
    // Resumed, it must find its session over and open a new one: wait for that, then look at etcd.
    const deadline = Date.now() + 4 * TTL_S * 1000;
    while (!/opens an etcd session/.test(c.log(from).slice(mark)) && Date.now() < deadline) await sleep(100);
    assert.match(c.log(from).slice(mark), new RegExp(`${from}'s etcd session \\(lease \\d+\\) ended`));
    assert.match(c.log(from).slice(mark), /opens an etcd session/, `${from} rejoined with a new session`);
    assert.equal(etcd.get(`${PREFIX}/lock/web`), to, "the resumed daemon did not take the lock back");
    assert.deepEqual(c.vipHolders(), [to]);
  });

  it("serves from no host while all of etcd is down, and from one host once it is back", async () => {
    for (let i = 0; i < 3; i++) await etcd.kill(i);
    const deadline = Date.now() + 4 * TTL_S * 1000;
    while (c.vipHolders().length > 0 && Date.now() < deadline) await sleep(100);
    assert.deepEqual(c.vipHolders(), [], `no host keeps the VIP without etcd\n${c.tail()}`);
    await Promise.all([0, 1, 2].map((i) => etcd.restart(i)));
    const back = await owner();
    assert.equal(etcd.get(`${PREFIX}/lock/web`), back);
  });
});
