// A program that cannot be started is a failed operation with a reason, never an exception: spawn
// throws for some of these (a NUL byte, an argument over exec's limit) and emits an error for others.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { ExecAgent } from "../../src/adapters/resources/exec.js";
import { sameLimits } from "../../src/adapters/resources/resource-agent.js";

const dir = mkdtempSync(join(tmpdir(), "vigil-spawn-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const notExecutable = join(dir, "plain-file");
writeFileSync(notExecutable, "#!/bin/sh\nexit 0\n", { mode: 0o644 });

const cases: [what: string, path: string, args: string[], code: RegExp][] = [
  ["a NUL byte in the path", "/bin/true\0x", [], /ERR_INVALID_ARG_VALUE/],
  ["a NUL byte in an argument", "/bin/true", ["a\0b"], /ERR_INVALID_ARG_VALUE/],
  ["an argument of 200 KiB", "/bin/true", ["x".repeat(200 * 1024)], /E2BIG/],
  ["a missing program", join(dir, "missing"), [], /ENOENT/],
  ["a file that is not executable", notExecutable, [], /EACCES/],
];

describe("spawn failures make a start fail, and nothing throws", () => {
  for (const [what, path, args, code] of cases) {
    it(what, async () => {
      const r = await new ExecAgent(path, args, sameLimits(2000), "test/res").start();
      assert.equal(r.ok, false);
      assert.match(r.detail, /start: could not start: /);
      assert.match(r.detail, code);
    });
  }
});
