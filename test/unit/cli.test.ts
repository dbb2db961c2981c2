import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { exampleWithKey, tempKeyDir } from "../helpers/config.js";

const main = new URL("../../dist/cli/main.js", import.meta.url).pathname;
const tmp = tempKeyDir();
after(() => tmp.cleanup());

function vigil(...args: string[]) {
  assert.ok(existsSync(main), "run `npm run build` first");
  return spawnSync(process.execPath, [main, ...args], { encoding: "utf8" });
}

describe("vigil check", () => {
  it("prints the summary for a valid config and exits 0", () => {
    const file = join(tmp.dir, "ok.yaml");
    writeFileSync(file, exampleWithKey(tmp.keyFile));
    const r = vigil("check", "-c", file);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /quorum: majority, 2 of 3 votes/);
    assert.match(r.stdout, /w3 +10\.77\.0\.13 +witness, 1 vote/);
    assert.match(r.stdout, /db-shared +prefer h1, failback off, move after 3 failures/);
    assert.match(r.stdout, /db +prefer h1 > h2, failback off, move after 3 failures/);
    assert.match(r.stdout, /proxies +clone: on every eligible node at once/);
    assert.match(
      r.stdout,
      /mysql +10\.77\.0\.100:3306 wrr → 10\.77\.0\.21:3306×3, 10\.77\.0\.22:3306×1, sorry 10\.77\.0\.23:3306/,
    );
  });

  it("prints every located error and exits 1", () => {
    const file = join(tmp.dir, "bad.yaml");
    writeFileSync(
      file,
      exampleWithKey(tmp.keyFile)
        .replace("port: 5405", "port: x")
        .replace("priority: 200", "priority: 900")
        .replace("quorum: majority", "quorum: most"),
    );
    const r = vigil("check", "-c", file);
    assert.equal(r.status, 1);
    const lines = r.stderr.trim().split("\n");
    assert.equal(lines.length, 4, r.stderr);
    for (const l of lines.slice(0, 3)) assert.ok(l.startsWith(`${file}:`), l);
    assert.equal(lines[3], `${file}: 3 errors`);
  });
});

describe("vigil keygen", () => {
  it("writes a 0600 key file that check accepts, and never overwrites one", () => {
    const key = join(tmp.dir, "new.key");
    assert.equal(vigil("keygen", "-o", key).status, 0);
    assert.equal(statSync(key).mode & 0o777, 0o600);
    assert.match(readFileSync(key, "utf8"), /^[0-9a-f]{64}\n$/);
    const again = vigil("keygen", "-o", key);
    assert.equal(again.status, 1);
    assert.match(again.stderr, /already exists; refusing to overwrite/);
  });

  it("prints a fresh key to stdout each time", () => {
    const a = vigil("keygen").stdout;
    const b = vigil("keygen").stdout;
    assert.match(a, /^[0-9a-f]{64}\n$/);
    assert.notEqual(a, b);
  });
});
