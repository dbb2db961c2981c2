// The real IPaddr2 agent from resource-agents as the group's `ocf` resource (params ip, cidr_netmask,
// nic) on namespace hosts: the address moves when the owner's daemon is SIGKILLed (the VIP guard
// removes IPaddr2's address as it removes a `vip`), when the owner is cut off from the other nodes (it
// self-fences through IPaddr2 stop) and on a planned move, while a client connects to it every 5ms and
// never gets answers from two hosts. Skipped, loudly, without namespaces or without resource-agents.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { netnsUnavailable } from "../helpers/netns.js";
import { assertFollowed, NetnsCluster } from "../helpers/netns-cluster.js";

const AGENT = "/usr/lib/ocf/resource.d/heartbeat/IPaddr2";
const why =
  netnsUnavailable() ?? (existsSync(AGENT) ? undefined : `${AGENT} is missing (Debian package resource-agents)`);
if (why) process.stderr.write(`\n!!! SKIPPING the IPaddr2 namespace test: ${why}\n\n`);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("an ocf IPaddr2 resource failing over between namespace hosts", { skip: why }, () => {
  let c: NetnsCluster;
  before(async () => {
    c = new NetnsCluster("o", "    failback: false\n", "", {
      vipResource:
        "{ type: ocf, agent: heartbeat/IPaddr2, params: { ip: VIP, cidr_netmask: 24, nic: eth0 }, monitor: { interval: 1s, timeout: 10s } }",
    });
    await c.start();
  });
  after(async () => {
    await c?.destroy();
  });

  it("IPaddr2 puts the address on the preferred host, its monitor reports it running, the client reaches it", async () => {
    assert.equal(await c.waitForOwner("h1"), "h1");
    await sleep(1200);
    assert.equal(c.status("h1")?.groups.web, "running");
    const r = await c.probe(300, 0, () => undefined);
    assert.ok(r.answers.filter((a) => a.host === "h1").length > 20, JSON.stringify(r.answers.slice(0, 5)));
    assert.deepEqual(
      r.answers.filter((a) => a.host !== "h1" && a.host !== "-"),
      [],
      "no other host answered",
    );
    assert.match(c.log("h1"), /ocf heartbeat\/IPaddr2 \(web-0\) start: exit 0 in \d+ms/);
    assert.doesNotMatch(c.log("h1"), /IPaddr2 .*monitor.*(failed|stopped unexpectedly)/);
  });

  it("moves when the owner's daemon is SIGKILLed: the guard removes IPaddr2's address there", async () => {
    const r = await c.probe(5000, 300, () => c.signalVigil("h1", "SIGKILL"));
    assertFollowed(r, "h1", "h2", 300, "SIGKILL");
    assert.deepEqual(c.vipHolders(), ["h2"]);
    assert.match(c.log("h1"), /guard: web: the lease ran out without renewal from the daemon; vip .* removed/);
  });

  it("moves when the owner is cut off from the other nodes but not from the client (self-fence through IPaddr2 stop)", async () => {
    c.startVigil("h1");
    await c.waitForMembers();
    assert.deepEqual(c.vipHolders(), ["h2"], "failback is off: the address stays on h2");
    const r = await c.probe(5000, 300, () => {
      c.lab.block("h2", [c.lab.addr(11), c.lab.addr(13)]);
      c.lab.block("h1", [c.lab.addr(12)]);
      c.lab.block("h3", [c.lab.addr(12)]);
    });
    for (const h of c.hosts) c.lab.unblock(h);
    assertFollowed(r, "h2", "h1", 300, "owner cut off");
    assert.deepEqual(c.vipHolders(), ["h1"]);
    assert.match(c.log("h2"), /h2 stops web: its lease .* without a quorum \(self-fence\)/);
    assert.match(c.log("h2"), /ocf heartbeat\/IPaddr2 \(web-0\) stop: exit 0/);
  });

  it("moves with the group on a planned move (IPaddr2 stop here, then start there)", async () => {
    let code = 0;
    const r = await c.probe(6000, 300, () => {
      code = c.command("h1", "/groups/web/move?node=h2");
    });
    assert.equal(code, 200);
    assertFollowed(r, "h1", "h2", 300, "planned move");
    assert.deepEqual(c.vipHolders(), ["h2"]);
    assert.match(c.log("h1"), /ocf heartbeat\/IPaddr2 \(web-0\) stop: exit 0/);
  });
});
