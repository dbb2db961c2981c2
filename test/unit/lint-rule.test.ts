import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ESLint } from "eslint";

const eslint = new ESLint({ cwd: new URL("../..", import.meta.url).pathname });

async function lint(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: file });
  return (result?.messages ?? []).map((m) => `${m.ruleId}: ${m.message}`);
}

describe("the purity rule for core", () => {
  it("fails when core imports I/O, reads the clock or starts a timer", async () => {
    const msgs = await lint(
      "src/core/example.ts",
      [
        'import { readFileSync } from "node:fs";',
        'import { createSocket } from "dgram";',
        "export const a = readFileSync; export const b = createSocket;",
        "export const t = Date.now();",
        "setTimeout(() => undefined, 1);",
        "export const r = Math.random();",
      ].join("\n"),
    );
    assert.equal(msgs.filter((m) => m.startsWith("no-restricted-imports")).length, 2, msgs.join("\n"));
    assert.ok(
      msgs.some((m) => m.startsWith("no-restricted-syntax") && m.includes("pass the current time in")),
      msgs.join("\n"),
    );
    assert.ok(
      msgs.some((m) => m.startsWith("no-restricted-globals") && m.includes("setTimeout")),
      msgs.join("\n"),
    );
    assert.ok(
      msgs.some((m) => m.includes("use the seeded PRNG")),
      msgs.join("\n"),
    );
  });

  it("allows the same code in an adapter, and pure imports in core", async () => {
    assert.deepEqual(
      await lint(
        "src/adapters/example.ts",
        'import { readFileSync } from "node:fs";\nexport const a = readFileSync;\nexport const t = Date.now();\n',
      ),
      [],
    );
    assert.deepEqual(
      await lint("src/core/example.ts", 'import { parseIp } from "./net/address.js";\nexport const a = parseIp;\n'),
      [],
    );
  });
});
