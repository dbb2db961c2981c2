// A virtual server in a real three-node cluster on loopback: only the owner of its group listens,
// status and metrics show it, and when the owner dies the next owner serves within a second.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createServer } from "node:net";
import { after, before, describe, it } from "node:test";
import { closeAll, exchange, startBackend, type Backend } from "../helpers/backends.js";
import { LocalCluster } from "../helpers/local-cluster.js";

let c: LocalCluster;
let backends: Backend[];
let port: number;

interface VsStatus {
  name: string;
  serving: boolean;
  total: number;
  realServers: { address: string; up: boolean; detail: string }[];
}
const vsOf = async (node: string) =>
  ((await c.status(node)) as unknown as { virtual_servers?: VsStatus[] } | undefined)?.virtual_servers?.[0];

before(async () => {
  backends = await Promise.all(["web-a", "web-b"].map((n) => startBackend(n)));
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
  port = (probe.address() as { port: number }).port;
  await new Promise((r) => probe.close(r));
  c = await LocalCluster.start({
    groupsYaml:
      "  - name: web\n    prefer: [n1]\n    resources:\n      - { type: exec, path: /bin/true, timeouts: { stop: 500ms } }\n",
    virtualServersYaml: `  - name: site\n    listen: 127.0.0.1:${port}\n    group: web\n    scheduler: rr\n    real_servers:\n${backends.map((b) => `      - { address: "${b.address}" }`).join("\n")}\n    check: { type: tcp, interval: 200ms, timeout: 200ms }\n`,
  });
  await c.waitFor("web running on n1", async () => ((await c.owner("web")) === "n1" ? true : undefined));
});
after(async () => {
  await c?.stop();
  await closeAll();
});

describe("virtual server in a cluster", () => {
  it("is served by the group's owner only, and status shows it", async () => {
    const answers = [await exchange(port), await exchange(port)].map((r) => r.data.trim()).sort();
    assert.deepEqual(answers, ["web-a", "web-b"]);
    const n1 = await vsOf("n1");
    const n2 = await vsOf("n2");
    assert.equal(n1?.serving, true);
    assert.equal(n2?.serving, false);
    assert.ok((n1?.total ?? 0) >= 2);
    await c.waitFor("n2's checks see both servers up", async () =>
      (await vsOf("n2"))?.realServers.every((r) => r.up && r.detail !== "not checked yet") ? true : undefined,
    );
  });

  it("shows in `vigil status` like ipvsadm -L", async () => {
    const r = spawnSync(
      process.execPath,
      [new URL("../../dist/cli/main.js", import.meta.url).pathname, "status", "--api", c.apiAddress("n1")],
      { encoding: "utf8" },
    );
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`site +127\\.0\\.0\\.1:${port} +rr +serving here .*\\(group web\\)`));
    for (const b of backends) assert.match(r.stdout, new RegExp(`-> 127\\.0\\.0\\.1:${b.port} +up +weight 1`));
  });

  it("exports proxy and check metrics", async () => {
    const text = await (await fetch(`http://${c.apiAddress("n1")}/metrics`)).text();
    assert.match(text, /vigil_vs_serving\{vs="site",node="n1"\} 1/);
    assert.match(text, /vigil_vs_connections_total\{vs="site",node="n1"\} [1-9]/);
    assert.match(
      text,
      /vigil_check_results_total\{vs="site",real_server="127\.0\.0\.1:\d+",result="ok",node="n1"\} [1-9]/,
    );
    assert.match(text, /vigil_real_server_up\{vs="site",real_server="127\.0\.0\.1:\d+",node="n1"\} 1/);
  });

  it("moves with its group when the owner dies", async (t) => {
    await c.kill("n1");
    const t0 = Date.now();
    await c.waitFor(
      "the proxy answers again",
      async () => ((await exchange(port, "", true, 200)).data.startsWith("web-") ? true : undefined),
      15_000,
    );
    const gap = Date.now() - t0;
    t.diagnostic(`served again ${gap}ms after the owner was killed (lease + stop budget of 3.6s)`);
    const owner = await c.owner("web");
    assert.ok(owner === "n2" || owner === "n3", `owner ${owner}`);
    assert.equal((await vsOf(owner))?.serving, true);
  });
});
