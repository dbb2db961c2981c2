// `coordination: etcd` end to end: three real `vigil run` processes on loopback coordinating through one
// real etcd member (Debian etcd-server): one leader, the group running on its preferred node with its
// lock in etcd, `vigil move` carried out through etcd, the owner SIGKILLed and the group taken over
// once etcd dropped its session, and a node that cannot reach etcd holding nothing. Skipped, loudly,
// without etcd.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { EtcdClient } from "../../src/adapters/etcd/client.js";
import { EtcdCluster, etcdMissing } from "../helpers/etcd.js";
import { LocalCluster } from "../helpers/local-cluster.js";

const why = etcdMissing();
if (why) process.stderr.write(`\n!!! SKIPPING the etcd coordination test: ${why}\n\n`);

const PREFIX = "/vigil/it";

describe("coordination: etcd with three vigil nodes", { skip: why || undefined }, () => {
  let etcd: EtcdCluster;
  let c: LocalCluster;
  let client: EtcdClient;

  before(async () => {
    etcd = await EtcdCluster.start(1);
    client = new EtcdClient({ endpoints: etcd.endpoints });
    c = await LocalCluster.start({
      nodes: 3,
      clusterYaml: `  coordination: etcd\n  etcd: { endpoints: [${etcd.endpoints.join(", ")}], prefix: ${PREFIX}, ttl: 2s }\n  heartbeat: { interval: 100ms, lease: 2s }\n`,
      groupsYaml: `  - name: web\n    prefer: [n1]\n    resources:\n      - { type: exec, path: /bin/true, timeouts: { start: 5s, stop: 1s } }\n`,
    });
  });
  after(async () => {
    await c?.stop();
    client?.close();
    await etcd?.stop();
  });

  /** The value of a key in etcd (undefined: absent). */
  const key = async (k: string) => (await client.range({ key: `${PREFIX}/${k}` })).kvs[0]?.value;

  it("elects one leader and runs the group on its preferred node, holding the lock in etcd", async () => {
    const owner = await c.waitFor("web running on one node", () => c.owner("web"), 20_000);
    assert.equal(owner, "n1");
    assert.equal(await key("lock/web"), "n1");
    const statuses = await c.statuses();
    const leaders = statuses.filter((s) => s.isLeader).map((s) => s.name);
    assert.equal(leaders.length, 1, `leaders: ${leaders.join(", ")}`);
    assert.equal(await key("leader"), leaders[0]);
    const view = (await c.status("n2")) as unknown as { etcd?: { lease?: string; validForMs: number } };
    assert.ok(view.etcd?.lease, "n2 reports its etcd session");
    assert.ok(view.etcd.validForMs > 0 && view.etcd.validForMs <= 1900, `validity ${view.etcd.validForMs}ms`);
  });

  it("moves the group with vigil move, through etcd", async () => {
    const r = await c.command("n3", "/groups/web/move?node=n2");
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.match(r.body.message ?? "", /web is moved to n2 by an operator/);
    await c.waitFor("web on n2", async () => ((await c.owner("web")) === "n2" ? true : undefined), 15_000);
    assert.equal(await key("lock/web"), "n2");
  });

  it("takes the group over from a SIGKILLed owner once etcd dropped its session, not before", async () => {
    const killedAt = Date.now();
    await c.kill("n2");
    const owner = await c.waitFor(
      "web running elsewhere",
      async () => {
        const o = await c.owner("web");
        return o && o !== "n2" ? o : undefined;
      },
      20_000,
    );
    const took = Date.now() - killedAt;
    assert.ok(["n1", "n3"].includes(owner));
    // n2's session ran up to 1.9s past its last keepalive; etcd drops it at its next 500ms scan, and the
    // new holder then waits web's stop budget (n2 never gave the lock back).
    assert.ok(took >= 1000, `taken over after ${took}ms, before n2's session could have ended`);
    const waited = c
      .decisions()
      .find((d) => d.node === owner && /did not give it back, so web waits \d+ms/.test(d.msg));
    assert.ok(waited, `${owner} waited web's stop budget:\n${c.tail()}`);
    const line = c.decisions().find((d) => d.node === owner && /takes the lock of web/.test(d.msg));
    assert.ok(line, `${owner} logged taking the lock:\n${c.tail()}`);
  });
});
