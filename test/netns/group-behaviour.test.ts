// Group behaviour on namespace hosts with a client probing the VIP: failback to the preferred host
// after it returns, a planned move through the API, and a resource that fails its monitor until the
// group moves away. Skipped, loudly, where namespaces cannot be made.
import assert from "node:assert/strict";
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { netnsUnavailable } from "../helpers/netns.js";
import { NetnsCluster } from "../helpers/netns-cluster.js";

const why = netnsUnavailable();
if (why) process.stderr.write(`\n!!! SKIPPING network namespace tests: ${why}\n\n`);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("group behaviour on namespace hosts", { skip: why }, () => {
  let c: NetnsCluster;
  const svcDir = mkdtempSync(join(tmpdir(), "vigil-svc-"));
  const svc = join(svcDir, "svc.sh");
  before(async () => {
    cpSync(new URL("./svc.sh", import.meta.url).pathname, svc);
    c = new NetnsCluster(
      "g",
      "    failback: true\n",
      `      - { type: exec, path: ${svc}, monitor: { interval: 200ms, timeout: 2s }, timeouts: { stop: 2s } }\n`,
    );
    await c.start();
  });
  after(async () => {
    await c?.destroy();
    rmSync(svcDir, { recursive: true, force: true });
  });

  it("fails back to the preferred host once it has been up for the settle delay", async () => {
    assert.equal(await c.waitForOwner("h1"), "h1");
    await c.signalVigil("h1", "SIGKILL");
    assert.equal(await c.waitForOwner("h2"), "h2");
    c.startVigil("h1");
    const r = await c.probe(10_000, 0, () => undefined);
    assert.deepEqual(c.vipHolders(), ["h1"]);
    assert.equal(r.doubleAnswers, 0);
    assert.ok(
      r.answers.some((a) => a.host === "h2") && r.answers.at(-1)?.host === "h1",
      "the client moved from h2 to h1",
    );
    assert.match(c.log("h1"), /web fails back h2→h1: h1 is preferred and up for \d+ms/);
  });

  it("moves the group on an operator's command, stopping it before it starts elsewhere", async () => {
    const r = await c.probe(2500, 300, () => {
      assert.equal(c.command("h3", "/groups/web/move?node=h3"), 200);
    });
    assert.deepEqual(c.vipHolders(), ["h3"]);
    assert.equal(r.doubleAnswers, 0);
    assert.ok(r.longestGap < 1000, `gap ${r.longestGap}ms`);
  });

  it("restarts a resource that fails its monitor, then moves the group after migration_threshold failures", async () => {
    writeFileSync(join(svcDir, "state", `${c.lab.ns("h3")}.broken`), "");
    const owner = await c.waitForOwner("h1", 20_000);
    assert.equal(owner, "h1", "the pinned node is ineligible now; the preferred node takes over");
    assert.equal(c.status("h3")?.failures.web, 3);
    assert.match(c.log("h3"), /h3: web failed \(3 failures here\)/);
    await sleep(100);
  });
});
