// An imported keepalived pair runs: two keepalived.conf files (unicast, advert_int 0.1, a VIP) go
// through `vigil import keepalived`, and the printed vigil.yaml, unchanged, runs on two namespace
// hosts. Killing the owner's daemon moves the VIP to the other host (two_node: the survivor takes
// over after the lease); restarting it moves the VIP back (keepalived preempts without nopreempt:
// failback true). Skipped, loudly, where namespaces cannot be made.
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { importKeepalivedFiles, renderAndCheck } from "../../src/import/run-import.js";
import { netnsUnavailable } from "../helpers/netns.js";
import { assertFollowed, NetnsCluster } from "../helpers/netns-cluster.js";

const why = netnsUnavailable();
if (why) process.stderr.write(`\n!!! SKIPPING network namespace tests: ${why}\n\n`);

/** keepalived.conf of one host, as an operator would have written it. */
function keepalivedConf(c: NetnsCluster, me: number, peer: number, priority: number): string {
  return `! keepalived on h${me - 10}
global_defs {
   router_id h${me - 10}
}
vrrp_instance VI_WEB {
    state ${priority > 150 ? "MASTER" : "BACKUP"}
    interface eth0
    virtual_router_id 77
    priority ${priority}
    advert_int 0.1
    unicast_src_ip ${c.lab.addr(me)}
    unicast_peer {
        ${c.lab.addr(peer)}
    }
    authentication {
        auth_type PASS
        auth_pass netns-secret
    }
    virtual_ipaddress {
        ${c.vip}/24 dev eth0
    }
}
`;
}

describe("an imported keepalived pair in namespaces", { skip: why }, () => {
  let c: NetnsCluster;
  let yaml = "";
  before(async () => {
    c = new NetnsCluster("ik");
    const dir = join(c.dir, "keepalived");
    mkdirSync(dir);
    writeFileSync(join(dir, "h1.conf"), keepalivedConf(c, 11, 12, 200));
    writeFileSync(join(dir, "h2.conf"), keepalivedConf(c, 12, 11, 100));
    const result = importKeepalivedFiles(
      new Map([
        ["h1", join(dir, "h1.conf")],
        ["h2", join(dir, "h2.conf")],
      ]),
      { keyFile: join(c.dir, "cluster.key"), clusterName: "imported" },
    );
    const { text, issues } = renderAndCheck(result);
    assert.deepEqual(issues, [], "the import passes vigil check");
    yaml = text;
    writeFileSync(join(c.dir, "vigil.yaml"), text);
    await c.start(["h1", "h2"]);
  });
  after(async () => {
    await c?.destroy();
  });

  it("imports a two_node cluster with keepalived's timers and no secret", () => {
    assert.match(yaml, /quorum: two_node/);
    assert.match(yaml, /interval: 100ms\n\s+lease: 361ms/);
    assert.ok(!yaml.includes("netns-secret"));
  });

  it("puts the VIP on h1 (the higher priority) and moves it to h2 when h1's daemon is SIGKILLed", async (t) => {
    assert.equal(await c.waitForOwner("h1"), "h1");
    const r = await c.probe(3000, 1000, () => c.signalVigil("h1", "SIGKILL"));
    assertFollowed(r, "h1", "h2", 1000, "IPv4");
    assert.deepEqual(c.vipHolders(), ["h2"]);
    t.diagnostic(`longest gap ${Math.round(r.longestGap)}ms`);
  });

  it("moves the VIP back to h1 when it returns (no nopreempt: failback)", async () => {
    c.startVigil("h1");
    assert.equal(await c.waitForOwner("h1", 20_000), "h1");
  });
});
