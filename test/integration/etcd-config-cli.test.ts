// The real `vigil run` refuses `coordination: etcd` (not wired yet) with a stable code instead of running
// on builtin leases, and `vigil check` accepts and summarizes the same file.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, it } from "node:test";
import { tempKeyDir } from "../helpers/config.js";

const MAIN = new URL("../../dist/cli/main.js", import.meta.url).pathname;
const tmp = tempKeyDir();
after(() => tmp.cleanup());

it("vigil run exits 1 with E_COORDINATION_UNAVAILABLE; vigil check exits 0 and names the backend", () => {
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
  const run = spawnSync(process.execPath, [MAIN, "run", "-c", file], { encoding: "utf8", timeout: 30_000 });
  assert.equal(run.status, 1, run.stderr);
  assert.match(run.stderr, /cluster\.coordination: etcd is not available yet.*\[E_COORDINATION_UNAVAILABLE\]/);
  const check = spawnSync(process.execPath, [MAIN, "check", "-c", file], { encoding: "utf8", timeout: 30_000 });
  assert.equal(check.status, 0, check.stderr);
  assert.match(
    check.stdout,
    /^coordination: etcd at 1 endpoint \(http:\/\/127\.0\.0\.1:2379\), prefix \/vigil\/c1, session ttl 3s/m,
  );
});
