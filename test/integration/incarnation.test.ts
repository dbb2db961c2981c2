// A node restarted with its wall clock set back a year rejoins: its incarnation comes from the state
// file (last + 1), not from the clock, so peers do not drop it as a stale earlier run of itself.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { LocalCluster } from "../helpers/local-cluster.js";

const YEAR_MS = 365 * 24 * 3600 * 1000;
let c: LocalCluster;
before(async () => {
  c = await LocalCluster.start({
    groupsYaml:
      "  - name: db\n    prefer: [n1]\n    resources:\n      - { type: exec, path: /bin/true, timeouts: { stop: 500ms } }\n" +
      "  - name: web\n    prefer: [n3]\n    failback: true\n    resources:\n      - { type: exec, path: /bin/true, timeouts: { stop: 500ms } }\n",
  });
});
after(async () => {
  await c?.stop();
});

const incarnationOf = (node: string) =>
  Number(readFileSync(join(c.dir, "state", `test.${node}.incarnation`), "utf8").trim());

describe("monotonic incarnation", () => {
  it("a node restarted with its clock a year behind is counted by its peers and takes a group", async () => {
    // n3 may start after web was first placed; with failback on, web comes to its preferred node.
    await c.waitFor("web on n3", async () => ((await c.owner("web")) === "n3" ? true : undefined));
    const first = incarnationOf("n3");
    await c.kill("n3");
    await c.waitFor("n1 and n2 to see n3 gone", async () => {
      const s = await c.statuses();
      return s.length === 2 && s.every((x) => x.peers.find((p) => p.name === "n3")?.alive === false) ? true : undefined;
    });
    assert.notEqual(await c.waitFor("web moved away from n3", () => c.owner("web")), "n3");
    c.spawnNode("n3", { VIGIL_TEST_CLOCK_OFFSET_MS: String(-YEAR_MS) });
    await c.waitFor(
      "n1 and n2 to count n3 alive again",
      async () => {
        const s = await c.statuses();
        const peersSee = s.filter((x) => x.name !== "n3" && x.peers.find((p) => p.name === "n3")?.alive);
        return peersSee.length === 2 ? true : undefined;
      },
      10_000,
    );
    const second = incarnationOf("n3");
    assert.equal(second, first + 1, `incarnation ${second} after ${first}: the state file, not the clock`);
    const r = await c.command("n1", "/groups/web/move?node=n3");
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(
      await c.waitFor("web back on n3", async () => ((await c.owner("web")) === "n3" ? "n3" : undefined)),
      "n3",
    );
    const n1 = await c.status("n1");
    assert.equal(n1?.transportDrops["stale-incarnation"] ?? n1?.drops["stale-incarnation"] ?? 0, 0);
  });
});
