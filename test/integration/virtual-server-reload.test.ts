// Reloading virtual servers on a running node: a new one starts listening, a changed one keeps its
// listener and open connections while a removed real server drains, a removed one stops listening.
import assert from "node:assert/strict";
import { connect } from "node:net";
import { after, it } from "node:test";
import { loadConfigText } from "../../src/adapters/config-file.js";
import { createLogger } from "../../src/adapters/logger.js";
import { HealthChecker } from "../../src/balancer/health-checker.js";
import type { Config } from "../../src/core/config/schema.js";
import { VirtualServers } from "../../src/daemon/virtual-servers.js";
import { tempKeyDir } from "../helpers/config.js";
import { closeAll, exchange, startBackend } from "../helpers/backends.js";

const tmp = tempKeyDir();
const log = createLogger().child({}, { level: "silent" });
let vss: VirtualServers | undefined;
after(async () => {
  await vss?.stop();
  await closeAll();
  tmp.cleanup();
});

const base = 23000 + Math.floor(Math.random() * 3000) * 2;
function config(vsYaml: string): Config {
  const r = loadConfigText(
    `cluster: { name: t, key_file: ${tmp.keyFile} }\nnodes: [{ name: a, address: "127.0.0.1:${base + 5000}" }]\nvirtual_servers:\n${vsYaml}`,
    "t.yaml",
  );
  assert.ok(r.ok, r.ok ? "" : JSON.stringify(r.issues));
  return r.config;
}
const vs = (name: string, port: number, servers: string[]) =>
  `  - { name: ${name}, listen: "127.0.0.1:${port}", scheduler: rr, check: { type: tcp, interval: 60s, timeout: 1s }, real_servers: [${servers.map((s) => `{ address: "${s}" }`).join(", ")}] }\n`;

it("adds, updates with draining, and removes virtual servers without touching the others", async () => {
  const [a, b] = [await startBackend("a", "echo"), await startBackend("b", "name")];
  vss = new VirtualServers(
    config(vs("one", base, [a.address, b.address])),
    log,
    (c, t) => new HealthChecker({ vs: c, log, onTransition: t }),
  );
  await vss.start();
  const held = connect(base, "127.0.0.1");
  await new Promise((r) => held.once("connect", r));
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(
    vss.status()[0]?.realServers.find((r) => r.address === a.address)?.active,
    1,
    "the held connection went to a (rr starts there)",
  );

  const summary = await vss.apply(config(vs("one", base, [b.address]) + vs("two", base + 1, [b.address])));
  assert.deepEqual(summary, ["virtual server one updated", "virtual server two added"]);
  const one = vss.status().find((v) => v.name === "one");
  assert.equal(one?.realServers.find((r) => r.address === a.address)?.draining, true, "a drains");
  const echoed = await new Promise<string>((r) => {
    held.once("data", (d) => r(d.toString()));
    held.write("still open");
  });
  assert.equal(echoed, "still open", "the draining server's connection keeps working");
  assert.deepEqual(
    [(await exchange(base)).data, (await exchange(base)).data],
    ["b\n", "b\n"],
    "new connections avoid the draining server",
  );
  assert.equal((await exchange(base + 1)).data, "b\n", "the new virtual server listens");
  held.destroy();
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(
    vss.status().find((v) => v.name === "one")?.realServers.length,
    1,
    "a is gone once its last connection closed",
  );

  assert.deepEqual(await vss.apply(config(vs("two", base + 1, [b.address]))), ["virtual server one removed"]);
  assert.equal((await exchange(base)).error, "ECONNREFUSED");
  assert.equal((await exchange(base + 1)).data, "b\n");
});
