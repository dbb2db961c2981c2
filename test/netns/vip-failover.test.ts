// Real hosts in network namespaces: vigil moves a VIP between them while a client connects to it
// every 5ms and records which host answered. Skipped, loudly, where namespaces cannot be made.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { netnsUnavailable } from "../helpers/netns.js";
import { NetnsCluster } from "../helpers/netns-cluster.js";

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

  it("puts the VIP on the preferred host and the client reaches it", async () => {
    assert.equal(await c.waitForOwner("h1"), "h1");
    const r = await c.probe(300, 0, () => undefined);
    assert.ok(r.answers.filter((a) => a.host === "h1").length > 20, JSON.stringify(r.answers.slice(0, 5)));
    assert.equal(r.answers.filter((a) => a.host !== "h1").length, 0);
  });

  it("moves the VIP when the owner's daemon is SIGKILLed (the guard removes it there)", async () => {
    const has6 = (h: string) => c.lab.exec(h, "ip", "-6", "addr", "show", "dev", "eth0").out.includes(`${c.vip6(100)}/64`);
    for (let i = 0; i < 50 && !c.lab.exec("h1", "ip", "-6", "addr", "show", "dev", "eth0").out.includes(c.vip6(100)); i++) await sleep(50);
    assert.equal(c.lab.exec("client", "ping", "-6", "-c", "1", "-W", "1", c.vip6(100)).code, 0, "the IPv6 VIP answers on h1");
    const r = await c.probe(2500, 300, () => c.signalVigil("h1", "SIGKILL"));
    assert.deepEqual([has6("h1"), has6("h2")], [false, true], "the IPv6 VIP moved too");
    assert.deepEqual(c.vipHolders(), ["h2"]);
    assert.equal(r.doubleAnswers, 0);
    assert.ok(r.longestGap < 1000, `longest gap ${r.longestGap}ms`);
    assert.ok(r.answers.some((a) => a.host === "h2"));
    assert.match(c.log("h1"), /guard: the daemon is gone and its lease ran out; vip .* removed/);
  });

  it("gives the VIP up when the owner is cut off from the other nodes but not from the client", async () => {
    c.startVigil("h1");
    await sleep(1500);
    assert.deepEqual(c.vipHolders(), ["h2"], "failback is off: the VIP stays on h2");
    const others = [c.lab.addr(11), c.lab.addr(13)];
    const r = await c.probe(2500, 300, () => {
      c.lab.block("h2", others);
      c.lab.block("h1", [c.lab.addr(12)]);
      c.lab.block("h3", [c.lab.addr(12)]);
    });
    for (const h of c.hosts) c.lab.unblock(h);
    assert.equal(r.doubleAnswers, 0, "the client never got answers from two hosts at once");
    assert.ok(r.answers.some((a) => a.host === "h1"), "the majority side took over");
    assert.deepEqual(c.vipHolders(), ["h1"]);
    assert.match(c.log("h2"), /h2 stops web: its lease .* without a quorum \(self-fence\)/);
  });

  it("moves the VIP when the owner drops off the network, and the owner removes it before it returns", async () => {
    const r = await c.probe(2000, 300, () => c.lab.link("h1", false));
    assert.ok(r.answers.some((a) => a.host === "h2"), JSON.stringify(r.answers.slice(-3)));
    await sleep(300);
    assert.deepEqual(c.vipHolders(), ["h2"], "h1 self-fenced while unreachable");
    const back = await c.probe(1000, 100, () => c.lab.link("h1", true));
    assert.equal(back.doubleAnswers, 0);
    assert.deepEqual(c.vipHolders(), ["h2"]);
  });
});
