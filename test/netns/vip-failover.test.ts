// Real hosts in network namespaces: vigil moves an IPv4 and an IPv6 VIP between them while a client
// connects to each every 5ms and records which host answered. The client holds a neighbour entry for
// the old owner when the IPv6 VIP moves; it must follow on the new owner's unsolicited neighbour
// advertisement (Override flag), not on its own neighbour discovery seconds later. Skipped, loudly,
// where namespaces cannot be made.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { netnsUnavailable } from "../helpers/netns.js";
import { assertFollowed, NetnsCluster } from "../helpers/netns-cluster.js";

const why = netnsUnavailable();
if (why) process.stderr.write(`\n!!! SKIPPING network namespace tests: ${why}\n\n`);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("VIP failover between namespace hosts", { skip: why }, () => {
  let c: NetnsCluster;
  before(async () => {
    c = new NetnsCluster("t", "    failback: false\n", "      - { type: vip, address: VIP6/64, interface: eth0 }\n");
    c.lab.exec("client", "ip", "-6", "addr", "add", `${c.vip6(50)}/64`, "dev", "eth0", "nodad");
    await c.start();
  });
  after(async () => {
    await c?.destroy();
  });

  /** Probes the IPv4 and the IPv6 VIP side by side; `during` runs once, from the IPv4 probe. */
  const probeBoth = (ms: number, at: number, during: () => void | Promise<void>) =>
    Promise.all([c.probe(ms, at, during), c.probe(ms, at, () => undefined, c.vip6(100))]);
  const has6 = (h: string) =>
    c.lab.exec(h, "ip", "-6", "addr", "show", "dev", "eth0").out.includes(`${c.vip6(100)}/64`);
  const neighbour6 = () => c.lab.neighbour("client", c.vip6(100));

  it("puts the VIP on the preferred host and the client reaches it", async () => {
    assert.equal(await c.waitForOwner("h1"), "h1");
    const r = await c.probe(300, 0, () => undefined);
    assert.ok(r.answers.filter((a) => a.host === "h1").length > 20, JSON.stringify(r.answers.slice(0, 5)));
    assert.deepEqual(
      r.answers.filter((a) => a.host !== "h1" && a.host !== "-"),
      [],
      "no other host answered",
    );
  });

  it("moves both VIPs when the owner's daemon is SIGKILLed; the client's REACHABLE IPv6 entry follows at once", async (t) => {
    for (let i = 0; i < 50 && !has6("h1"); i++) await sleep(50);
    assert.equal(
      c.lab.exec("client", "ping", "-6", "-c", "1", "-W", "1", c.vip6(100)).code,
      0,
      "the IPv6 VIP answers on h1",
    );
    let before = neighbour6();
    const [r, r6] = await probeBoth(2500, 300, () => {
      before = neighbour6();
      return c.signalVigil("h1", "SIGKILL");
    });
    assert.deepEqual(
      [before.mac, before.state],
      [c.lab.mac("h1"), "REACHABLE"],
      `the client's entry for the IPv6 VIP before the failover: ${before.line}`,
    );
    assert.deepEqual([has6("h1"), has6("h2")], [false, true], "the IPv6 VIP moved too");
    assert.deepEqual(c.vipHolders(), ["h2"]);
    assertFollowed(r, "h1", "h2", 300, "IPv4");
    assertFollowed(r6, "h1", "h2", 300, "IPv6");
    assert.equal(neighbour6().mac, c.lab.mac("h2"), "the client's entry now names h2");
    assert.match(c.log("h2"), /unsolicited neighbour advertisement for \S+ on eth0: sent \(override/);
    assert.match(c.log("h1"), /guard: web: the lease ran out without renewal from the daemon; vip .* removed/);
    t.diagnostic(`longest gap: IPv4 ${Math.round(r.longestGap)}ms, IPv6 ${Math.round(r6.longestGap)}ms`);
  });

  it("gives the VIP up when the owner is cut off from the other nodes but not from the client", async () => {
    c.startVigil("h1");
    await c.waitForMembers();
    assert.deepEqual(c.vipHolders(), ["h2"], "failback is off: the VIP stays on h2");
    const others = [c.lab.addr(11), c.lab.addr(13)];
    let before = neighbour6();
    const [r, r6] = await probeBoth(2500, 300, () => {
      before = neighbour6();
      c.lab.block("h2", others);
      c.lab.block("h1", [c.lab.addr(12)]);
      c.lab.block("h3", [c.lab.addr(12)]);
    });
    for (const h of c.hosts) c.lab.unblock(h);
    assert.equal(
      before.mac,
      c.lab.mac("h2"),
      `the client's entry for the IPv6 VIP before the failover: ${before.line}`,
    );
    assertFollowed(r, "h2", "h1", 300, "IPv4 (the majority side took over)");
    assertFollowed(r6, "h2", "h1", 300, "IPv6");
    assert.deepEqual(c.vipHolders(), ["h1"]);
    assert.match(c.log("h2"), /h2 stops web: its lease .* without a quorum \(self-fence\)/);
  });

  it("moves the VIP when the owner drops off the network, and the owner removes it before it returns", async () => {
    const [r, r6] = await probeBoth(2000, 300, () => c.lab.link("h1", false));
    assertFollowed(r, "h1", "h2", 300, "IPv4");
    assertFollowed(r6, "h1", "h2", 300, "IPv6");
    await sleep(300);
    assert.deepEqual(c.vipHolders(), ["h2"], "h1 self-fenced while unreachable");
    const back = await c.probe(1000, 100, () => c.lab.link("h1", true));
    assert.equal(back.doubleAnswers, 0);
    assert.deepEqual(c.vipHolders(), ["h2"]);
  });
});
