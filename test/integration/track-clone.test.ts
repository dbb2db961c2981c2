// Track checks and clones in a real three-node cluster on loopback: the clone runs on every node at once
// (shown in /status), a group tracking the clone and an exec check leaves the node whose check fails,
// with the sentence that says why, and fails back once it passes again; a clone that fails on a node
// (migration_threshold 1) stops there, and the tracking group leaves that node until a cleanup.
// Every step waits for what the nodes report; nothing here is timed.
import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { LocalCluster } from "../helpers/local-cluster.js";

const dir = mkdtempSync(join(tmpdir(), "vigil-track-it-"));
let c: LocalCluster;

/** A script whose state lives in `dir`, per node ($TRACK_NODE, set in each node's environment). */
function script(name: string, body: string): string {
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\nn=$TRACK_NODE\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

before(async () => {
  const clone = script(
    "clone.sh",
    `case "$1" in start) touch ${dir}/clone.$n ;; stop) rm -f ${dir}/clone.$n ;; status) [ -e ${dir}/$n.clone-down ] && exit 1; [ -f ${dir}/clone.$n ] || exit 3 ;; esac`,
  );
  const check = script("check.sh", `[ ! -e ${dir}/$n.broken ]`);
  c = await LocalCluster.start({
    // Calm timers: the cluster must stay steady on a loaded machine.
    clusterYaml: "  heartbeat: { interval: 100ms, lease: 1200ms }\n",
    groupsYaml: [
      "  - name: svc",
      "    clone: true",
      "    migration_threshold: 1",
      `    resources: [{ type: exec, path: ${clone}, monitor: { interval: 200ms, timeout: 2s } }]`,
      "  - name: front",
      "    prefer: [n1]",
      "    failback: true",
      "    track:",
      "      - { type: group, name: svc }",
      `      - { type: exec, path: ${check}, interval: 300ms, timeout: 300ms, fall: 2, rise: 2 }`,
      "    resources: [{ type: exec, path: /bin/true }]",
      "",
    ].join("\n"),
    env: { n1: { TRACK_NODE: "n1" }, n2: { TRACK_NODE: "n2" }, n3: { TRACK_NODE: "n3" } },
  });
});
after(async () => {
  await c?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const logs = () => c.names.map((n) => c.log(n)).join("\n");
const ownerIs = (node: string) => async () => ((await c.owner("front")) === node ? true : undefined);

describe("track checks and clones in a loopback cluster", () => {
  it("runs the clone on every node at once and the tracked group on the preferred node", async () => {
    await c.waitFor("front on n1", ownerIs("n1"), 60_000, 50);
    const clones = await c.waitFor(
      "the clone running on every node",
      async () => {
        const all = await c.statuses();
        return all.length === 3 && all.every((s) => s.groups.svc === "running") ? all : undefined;
      },
      60_000,
      50,
    );
    for (const s of clones) {
      assert.ok(!s.holds.includes("svc"), `${s.name} runs the clone without a lease`);
      assert.deepEqual((s as unknown as { clones: string[] }).clones, ["svc"]);
    }
  });

  it("moves the group off a node whose exec check fails, says why, and fails back when it passes", async () => {
    writeFileSync(join(dir, "n1.broken"), "");
    await c.waitFor("front on n2", ownerIs("n2"), 60_000, 50);
    assert.match(logs(), /front moves n1→n2: n1 fails track exec \S+check\.sh \(2 checks in a row\)/);
    const s = await c.status("n2");
    const n1 = (s as unknown as { peers: { name: string; track: Record<string, string> }[] }).peers.find(
      (p) => p.name === "n1",
    );
    assert.match(n1?.track.front ?? "", /^fails track exec \S+check\.sh \(2 checks in a row\)$/);
    rmSync(join(dir, "n1.broken"));
    await c.waitFor("front back on n1", ownerIs("n1"), 60_000, 50);
    assert.match(logs(), /front fails back n2→n1: n1 is preferred and has passed its track checks for \d+ms/);
  });

  it("moves the group off a node whose clone failed, and back after a cleanup restarts the clone there", async () => {
    writeFileSync(join(dir, "n1.clone-down"), "");
    await c.waitFor("front on n2", ownerIs("n2"), 60_000, 50);
    assert.match(logs(), /front moves n1→n2: n1 fails track group svc \(the clone is not running there\)/);
    assert.match(logs(), /n1 stops clone svc: it reached 1 failures here \(migration_threshold 1\)|n1: svc failed/);
    rmSync(join(dir, "n1.clone-down"));
    const cleanup = await c.command("n3", "/groups/svc/cleanup");
    assert.equal(cleanup.status, 200);
    await c.waitFor("front back on n1", ownerIs("n1"), 60_000, 50);
  });

  it("refuses to move a clone", async () => {
    const r = await c.command("n2", "/groups/svc/move?node=n3");
    assert.notEqual(r.status, 200);
    assert.match(JSON.stringify(r.body), /svc is a clone/);
  });
});
