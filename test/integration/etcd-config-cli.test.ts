// `coordination: etcd` as an operator meets it without a reachable etcd: `vigil check` accepts and
// summarizes the file; `vigil run` starts, warns that etcd does not answer, runs nothing (no session, so
// no lock), and `vigil status` says so in one line.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, it } from "node:test";
import { tempKeyDir } from "../helpers/config.js";
import { freePort } from "../helpers/etcd.js";
import { LocalCluster } from "../helpers/local-cluster.js";

const MAIN = new URL("../../dist/cli/main.js", import.meta.url).pathname;
const tmp = tempKeyDir();
let c: LocalCluster | undefined;
after(async () => {
  await c?.stop();
  tmp.cleanup();
});

it("vigil check exits 0 and names the backend", () => {
  const file = join(tmp.dir, "etcd.yaml");
  writeFileSync(
    file,
    `cluster:
  name: c1
  key_file: ${tmp.keyFile}
  coordination: etcd
  etcd: { endpoints: [http://127.0.0.1:2379], prefix: /vigil/c1, ttl: 3s }
nodes:
  - { name: a, address: 127.0.0.1:7001 }
`,
  );
  const check = spawnSync(process.execPath, [MAIN, "check", "-c", file], { encoding: "utf8", timeout: 30_000 });
  assert.equal(check.status, 0, check.stderr);
  assert.match(
    check.stdout,
    /^coordination: etcd at 1 endpoint \(http:\/\/127\.0\.0\.1:2379\), prefix \/vigil\/c1, session ttl 3s \(expect a failover/m,
  );
});

it("vigil run without a reachable etcd warns, holds nothing, runs nothing, and vigil status says why", async () => {
  const port = await freePort(); // nothing listens there
  c = await LocalCluster.start({
    nodes: 1,
    clusterYaml: `  coordination: etcd\n  etcd: { endpoints: [http://127.0.0.1:${port}], prefix: /vigil/t, ttl: 2s }\n`,
  });
  await c.waitFor("the start-up warning", async () =>
    /etcd http:\/\/127\.0\.0\.1:\d+ does not answer at start-up: .*this node holds nothing until a member answers/.test(
      c?.log("n1") ?? "",
    )
      ? true
      : undefined,
  );
  const s = (await c.status("n1")) as unknown as { holds: string[]; groups: Record<string, string> } | undefined;
  assert.deepEqual(s?.holds, []);
  assert.equal(s?.groups.db, "stopped");
  const r = spawnSync(process.execPath, [MAIN, "status", "--api", c.apiAddress("n1")], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  assert.match(
    r.stdout,
    /coordination: etcd via http:\/\/127\.0\.0\.1:\d+ \(prefix \/vigil\/t, ttl 2s\): NO SESSION — etcd unreachable from this node, so it holds nothing/,
  );
});
