// Operator commands through the API of a real three-node cluster on loopback: the token is required,
// and commands sent to any node are carried out by the leader.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { LocalCluster } from "../helpers/local-cluster.js";

let c: LocalCluster;
before(async () => {
  c = await LocalCluster.start();
  await c.waitFor("db running on n1", async () => ((await c.owner("db")) === "n1" ? true : undefined));
});
after(async () => {
  await c?.stop();
});

/** Fails if two nodes ever run the group at once while `action` plays out over `ms`. */
async function neverTwoOwners(ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const owners = (await c.statuses())
      .filter((s) => s.groups.db === "running" || s.groups.db === "starting")
      .map((s) => s.name);
    assert.ok(owners.length <= 1, `${owners.join(" and ")} both run db`);
  }
}

describe("commands through the API", () => {
  it("refuse a missing or wrong token with 401 and change nothing", async () => {
    const none = await c.command("n2", "/groups/db/move?node=n3", null);
    assert.equal(none.status, 401);
    const wrong = await c.command("n2", "/groups/db/move?node=n3", "guess");
    assert.equal(wrong.status, 401);
    assert.match(wrong.body.error ?? "", /missing or wrong bearer token/);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(await c.owner("db"), "n1");
  });

  it("move a group from any node, stopping it before it starts elsewhere", async () => {
    const r = await c.command("n2", "/groups/db/move?node=n3");
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.message, "db is moved to n3 by an operator");
    await neverTwoOwners(600);
    assert.equal(await c.waitFor("db on n3", async () => ((await c.owner("db")) === "n3" ? "n3" : undefined)), "n3");
    assert.ok(
      c.decisions().some((d) => d.node === "n1" && /^db moves n1→n3: moved by an operator/.test(d.msg)),
      c.tail(),
    );
  });

  it("put the owner in standby (the group leaves), and back online", async () => {
    const r = await c.command("n3", "/nodes/n3/standby");
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const owner = await c.waitFor("db off n3", async () => {
      const o = await c.owner("db");
      return o && o !== "n3" ? o : undefined;
    });
    assert.equal(owner, "n1");
    assert.equal((await c.status("n3"))?.groups.db, "stopped");
    assert.equal((await c.command("n1", "/nodes/n3/online")).status, 200);
  });

  it("refuse commands naming unknown groups or nodes with 404, saying what exists", async () => {
    const r = await c.command("n1", "/groups/nope/cleanup");
    assert.equal(r.status, 404);
    assert.equal(r.body.message, 'no group named "nope" (groups: db)');
    assert.equal((await c.command("n2", "/nodes/n9/standby")).body.message, 'no node named "n9" (nodes: n1, n2, n3)');
  });

  it("work from the CLI, which reports unreachable daemons and wrong tokens clearly", async () => {
    const main = new URL("../../dist/cli/main.js", import.meta.url).pathname;
    const vigil = (...args: string[]) => spawnSync(process.execPath, [main, ...args], { encoding: "utf8" });
    const api = c.apiAddress("n2");
    const status = vigil("status", "--api", api);
    assert.equal(status.status, 0, status.stderr);
    assert.match(status.stdout, /as seen by n2: leader n1 \(term \d+\)/);
    assert.match(status.stdout, /n3 +online/);
    assert.match(status.stdout, /db +running on n3/);
    const moved = vigil("move", "db", "n2", "--api", api, "--token-file", join(c.dir, "api.token"));
    assert.equal(moved.status, 0, moved.stderr);
    assert.equal(moved.stdout.trim(), "db is moved to n2 by an operator");
    await c.waitFor("db on n2", async () => ((await c.owner("db")) === "n2" ? true : undefined));
    writeFileSync(join(c.dir, "wrong.token"), "nope\n", { mode: 0o600 });
    const wrong = vigil("cleanup", "db", "--api", api, "--token-file", join(c.dir, "wrong.token"));
    assert.equal(wrong.status, 1);
    assert.match(wrong.stderr, /the API refused the token \(401\)/);
    const down = vigil("status", "--api", "127.0.0.1:9");
    assert.equal(down.status, 1);
    assert.match(
      down.stderr,
      /cannot reach the vigil API at http:\/\/127\.0\.0\.1:9: is `vigil run` running on this node\?/,
    );
  });

  it("serve recent events, the primary health check and Prometheus metrics", async () => {
    const owner = await c.waitFor("an owner", () => c.owner("db"));
    const other = c.names.find((n) => n !== owner) as string;
    const get = (node: string, path: string) => fetch(`http://${c.apiAddress(node)}${path}`);
    assert.equal((await get(owner, "/health/primary/db")).status, 200);
    assert.equal((await get(other, "/health/primary/db")).status, 503);
    assert.equal((await get(owner, "/health/primary/nope")).status, 404);
    const events = (await (await get(owner, "/events")).json()) as { text: string }[];
    assert.ok(
      events.some((e) => new RegExp(`^${owner} starts db: `).test(e.text)),
      JSON.stringify(events.slice(-5)),
    );
    const metrics = await (await get(owner, "/metrics")).text();
    assert.match(metrics, new RegExp(`vigil_group_running\\{group="db",node="${owner}"\\} 1`));
    assert.match(metrics, /vigil_quorum\{node="[^"]+"\} 1/);
    assert.match(metrics, /vigil_peer_up\{peer="[^"]+",node="[^"]+"\} 1/);
    assert.match(metrics, /vigil_resource_operations_total\{group="db",op="start",outcome="ok",node="[^"]+"\} [1-9]/);
    assert.match(metrics, /vigil_term\{node="[^"]+"\} [1-9]/);
  });
});
