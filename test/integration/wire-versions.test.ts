// A rolling upgrade with real processes: nodes of a newer minor protocol version (an unknown field in
// every message) beside nodes of this one keep quorum, lead and place groups in both directions; a node
// of another major version is refused with one rate-limited warning, and the others keep quorum.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { LocalCluster, type NodeStatus } from "../helpers/local-cluster.js";

const exec = "    resources:\n      - { type: exec, path: /bin/true, timeouts: { stop: 500ms } }\n";
let c: LocalCluster;
before(async () => {
  c = await LocalCluster.start({
    groupsYaml: `  - name: db\n    prefer: [n1]\n${exec}  - name: web\n    prefer: [n2]\n    failback: true\n${exec}`,
    env: { n1: { VIGIL_TEST_WIRE: "newer-minor" }, n3: { VIGIL_TEST_WIRE: "newer-minor" } },
  });
});
after(async () => {
  await c?.stop();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const leader = async (): Promise<NodeStatus | undefined> => {
  const leaders = (await c.statuses()).filter((s) => s.isLeader);
  return leaders.length === 1 ? leaders[0] : undefined;
};
const unreadable = (s: NodeStatus) =>
  ["malformed", "not-json", "bad-mac", "unknown-key", "other-major"].reduce(
    (n, k) => n + (s.transportDrops[k] ?? 0),
    0,
  );

describe("mixed protocol versions", () => {
  it("a newer-minor leader (n1) and a current node (n2) place groups on each other", async () => {
    assert.equal((await c.waitFor("a leader", leader)).name, "n1");
    await c.waitFor("db on n1 and web on n2", async () =>
      (await c.owner("db")) === "n1" && (await c.owner("web")) === "n2" ? true : undefined,
    );
    for (const s of await c.statuses()) {
      assert.ok(
        s.peers.every((p) => p.alive),
        `${s.name} hears every peer: ${JSON.stringify(s.peers)}`,
      );
      assert.equal(unreadable(s), 0, `${s.name} drops: ${JSON.stringify(s.transportDrops)}`);
    }
  });

  it("a current leader (n2) is followed by a newer-minor node (n3) after the leader dies", async () => {
    await c.kill("n1");
    const l = await c.waitFor("n2 leading", async () => ((await leader())?.name === "n2" ? true : undefined), 8000);
    assert.ok(l);
    const db = await c.waitFor("db placed again", () => c.owner("db"), 8000);
    assert.ok(db === "n2" || db === "n3", db);
    const n3 = await c.status("n3");
    assert.equal(n3?.leader, "n2");
  });

  it("a node of another major version is refused with a rate-limited warning; the others keep quorum", async () => {
    const term = (await c.status("n2"))?.term;
    c.spawnNode("n1", { VIGIL_TEST_WIRE: "other-major" });
    await c.waitFor("n2 to count other-major drops", async () => {
      const s = await c.status("n2");
      return (s?.transportDrops["other-major"] ?? 0) > 20 ? true : undefined;
    });
    await sleep(500);
    const n2 = await c.status("n2");
    assert.equal(n2?.isLeader, true);
    assert.equal(n2?.term, term, "no election");
    assert.equal(n2?.peers.find((p) => p.name === "n1")?.alive, false);
    const warnings = readFileSync(join(c.dir, "n2.log"), "utf8")
      .split("\n")
      .filter((l) => l.includes("speaks cluster protocol 3.x"));
    assert.equal(warnings.length, 1, warnings.join("\n"));
    assert.match(warnings[0] ?? "", /until every node runs a release of the same major version/);
  });
});
