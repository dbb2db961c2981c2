// Rotating the cluster key of a running three-node cluster, as the key file's comment says: three
// passes (append the new key, swap, drop the old), each a reload on every node in turn. No packet may
// be refused and the leader and its term must not change.
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { keyId } from "../../src/adapters/key-ring.js";
import { newKeyText } from "../../src/adapters/keygen.js";
import { LocalCluster, type NodeStatus } from "../helpers/local-cluster.js";

let c: LocalCluster;
before(async () => {
  c = await LocalCluster.start();
});
after(async () => {
  await c?.stop();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const logOf = (n: string) => readFileSync(join(c.dir, `${n}.log`), "utf8");
const applied = (n: string) =>
  logOf(n)
    .split("\n")
    .filter((l) => l.includes("reload applied")).length;
const refused = (s: NodeStatus) =>
  ["bad-mac", "unknown-key", "malformed"].reduce((n, k) => n + (s.transportDrops[k] ?? 0), 0);

/** Reloads every node in turn, each once its previous reload was applied. */
async function reloadEach(): Promise<void> {
  for (const n of c.names) {
    const before = applied(n);
    c.signal(n, "SIGHUP");
    await c.waitFor(`${n} to apply the reload`, async () => (applied(n) > before ? true : undefined), 5000, 20);
    await sleep(300);
  }
}

describe("key rotation", () => {
  it("rotates the key of a running cluster with no refused packet and no leader change", async () => {
    const lead = await c.waitFor("a leader", async () => (await c.statuses()).find((s) => s.isLeader));
    await c.waitFor("db running", () => c.owner("db"));
    const keyFile = join(c.dir, "cluster.key");
    const oldKey = readFileSync(keyFile, "utf8").trim();
    const newKey = newKeyText().trim();
    for (const text of [`${oldKey}\n${newKey}\n`, `${newKey}\n${oldKey}\n`, `${newKey}\n`]) {
      writeFileSync(keyFile, text);
      await reloadEach();
    }
    const id = keyId(Buffer.from(newKey, "utf8")).toString(16).padStart(8, "0");
    for (const n of c.names) {
      const steps = logOf(n)
        .split("\n")
        .filter((l) => l.includes("reload applied: cluster keys:"));
      assert.equal(steps.length, 3, `${n}: ${steps.join("\n")}`);
      assert.match(steps[2] ?? "", new RegExp(`sending with key ${id}, accepting ${id}"`));
    }
    const after = await c.statuses();
    assert.equal(after.length, 3);
    for (const s of after) {
      assert.equal(s.term, lead.term, `${s.name} term`);
      assert.equal(s.leader ?? (s.isLeader ? s.name : undefined), lead.name, `${s.name} leader`);
      assert.equal(refused(s), 0, `${s.name} drops: ${JSON.stringify(s.transportDrops)}`);
      assert.ok(
        s.peers.every((p) => p.alive),
        `${s.name} peers ${JSON.stringify(s.peers)}`,
      );
    }
    assert.equal(await c.owner("db"), "n1");
    assert.ok(
      !c.decisions().some((d) => / leads term /.test(d.msg) && d.at > 0 && d.msg.includes(`term ${lead.term + 1}`)),
    );
  });
});
