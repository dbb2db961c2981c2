// The key file: one or two keys, each long enough, not the same twice; the first signs.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { keyId, parseKeyRing } from "../../src/adapters/key-ring.js";

const a = "a".repeat(64);
const b = "b".repeat(64);

describe("key ring", () => {
  it("reads one key, or two with the first for sending", () => {
    const one = parseKeyRing(`${a}\n`, "/k");
    assert.ok(one.ok && one.ring.send.toString() === a && one.ring.accept.length === 1);
    const two = parseKeyRing(`\n${b}\n  ${a}  \n\n`, "/k");
    assert.ok(two.ok && two.ring.send.toString() === b && two.ring.accept.map(String).join() === `${b},${a}`);
  });

  it("refuses an empty file, three keys, a short key and a repeated key, saying what to do", () => {
    const err = (text: string) => {
      const r = parseKeyRing(text, "/k");
      return r.ok ? "" : r.error;
    };
    assert.match(err(" \n\n"), /holds no key \(make one with: vigil keygen -o \/k\)/);
    assert.match(err(`${a}\n${b}\n${"c".repeat(64)}`), /holds 3 keys; at most 2/);
    assert.match(err(`${a}\nshort`), /line 2: a key needs at least 32 bytes, this one has 5/);
    assert.match(err(`${a}\n${a}`), /the same key twice/);
  });

  it("gives keys distinct 4-byte ids", () => {
    const ia = keyId(Buffer.from(a));
    assert.ok(ia >= 0 && ia < 2 ** 32);
    assert.notEqual(ia, keyId(Buffer.from(b)));
  });
});
