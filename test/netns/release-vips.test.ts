// `vigil release-vips` on a real interface in a network namespace (what systemd's ExecStopPost runs):
// it removes the configured VIPs that are present, leaves every other address alone, says what it
// removed, and refuses while a vigil daemon answers on the config's API address. Skipped, loudly,
// where namespaces cannot be made.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { newKeyText } from "../../src/adapters/keygen.js";
import { Lab, netnsUnavailable } from "../helpers/netns.js";

const why = netnsUnavailable();
if (why) process.stderr.write(`\n!!! SKIPPING network namespace tests: ${why}\n\n`);

const MAIN = new URL("../../dist/cli/main.js", import.meta.url).pathname;

describe("vigil release-vips in a network namespace", { skip: why }, () => {
  let lab: Lab;
  const dir = mkdtempSync(join(tmpdir(), "vigil-release-"));
  let config: string;
  const addrs = () => lab.exec("h1", "ip", "-o", "addr", "show", "dev", "eth0").out;

  before(() => {
    lab = new Lab("r");
    lab.addHost("h1", 11);
    writeFileSync(join(dir, "cluster.key"), newKeyText(), { mode: 0o600 });
    config = join(dir, "vigil.yaml");
    writeFileSync(
      config,
      `cluster:
  name: rel
  key_file: ${join(dir, "cluster.key")}
api:
  listen: 127.0.0.1:7480
nodes:
  - { name: h1, address: ${lab.addr(11)} }
groups:
  - name: db
    resources:
      - { type: vip, address: ${lab.addr(100)}/24, interface: eth0 }
      - { type: exec, path: /bin/true }
  - name: web
    resources:
      - { type: vip, address: ${lab.addr(101)}/24, interface: eth0 }
`,
    );
  });
  after(async () => {
    await lab?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it("removes the configured VIPs that are present and nothing else", () => {
    lab.exec("h1", "ip", "addr", "add", `${lab.addr(100)}/24`, "dev", "eth0");
    lab.exec("h1", "ip", "addr", "add", `${lab.addr(150)}/24`, "dev", "eth0");
    const r = lab.exec("h1", process.execPath, MAIN, "release-vips", "-c", config);
    assert.equal(r.code, 0, r.out);
    assert.equal(r.out, `removed ${lab.addr(100)}/24 from eth0 (group db)\nreleased 1 of 2 configured VIPs\n`);
    const left = addrs();
    assert.ok(!left.includes(` ${lab.addr(100)}/`), "the configured VIP is gone");
    assert.ok(left.includes(` ${lab.addr(150)}/`), "an address that is not a configured VIP stays");
    assert.ok(left.includes(` ${lab.addr(11)}/`), "the host's own address stays");
    const again = lab.exec("h1", process.execPath, MAIN, "release-vips", "-c", config);
    assert.equal(again.out, "none of the 2 configured VIPs was present\n");
  });

  it("refuses while a vigil daemon answers on the API address, unless --force", async () => {
    lab.exec("h1", "ip", "addr", "add", `${lab.addr(101)}/24`, "dev", "eth0");
    lab.start("h1", process.execPath, [
      "-e",
      `require("http").createServer((q, s) => s.end(JSON.stringify({ holds: [], groups: {} }))).listen(7480, "127.0.0.1", () => console.log("up"))`,
    ]);
    for (let i = 0; i < 100 && lab.exec("h1", "bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/7480").code !== 0; i++)
      await new Promise((r) => setTimeout(r, 20));
    const r = lab.exec("h1", process.execPath, MAIN, "release-vips", "-c", config);
    assert.equal(r.code, 1);
    assert.match(
      r.out,
      /a vigil daemon answers on 127\.0\.0\.1:7480 and may own these VIPs; stop it first \(or use --force\)/,
    );
    assert.ok(addrs().includes(` ${lab.addr(101)}/`), "nothing was removed");
    const forced = lab.exec("h1", process.execPath, MAIN, "release-vips", "-c", config, "--force");
    assert.equal(forced.code, 0, forced.out);
    assert.match(
      forced.out,
      new RegExp(`removed ${lab.addr(101).replaceAll(".", "\\.")}/24 from eth0 \\(group web\\)`),
    );
  });
});
