// Fuzzing the wire decoder: a million random and mutated packets, many of them correctly
// authenticated so they reach the payload decoder. Decoding must never throw, must classify every
// packet, and anything it accepts must be a well-formed message that re-encodes to itself.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FrameCodec, PROTOCOL } from "../../src/adapters/frame.js";
import type { KeyRing } from "../../src/adapters/key-ring.js";
import { frameOptionsFor } from "../../src/adapters/wire-emulation.js";
import type { ClusterMsg } from "../../src/core/cluster/messages.js";
import { Prng } from "../../src/sim/prng.js";
import { NameBook } from "../../src/core/cluster/wire-ids.js";
import { toWire } from "../../src/adapters/compact-wire.js";

const key = Buffer.alloc(32, 7);
const book = new NameBook(["h1", "h2", "w3", "db", "web", "*leader"]);
const ring = (send: Buffer, ...more: Buffer[]): KeyRing => ({ send, accept: [send, ...more] });
const codec = new FrameCodec(ring(key), "fuzz", book);
const samples: ClusterMsg[] = [
  {
    type: "hb",
    from: "h1",
    inc: 1795264362652,
    seq: 41,
    term: 3,
    claims: ["*leader", "db"],
    running: ["db"],
    unclean: [],
    standby: false,
    alive: ["h2", "w3"],
    failures: { db: 1 },
    leader: {
      term: 3,
      version: 2,
      assignments: { db: "h1", web: null },
      admin: { standby: ["h2"], moves: { db: "h1" }, cleanups: { db: 2 }, maintenance: false },
    },
  },
  { type: "cmd", from: "h2", inc: 5, seq: 78, id: 3, cmd: { kind: "move", group: "db", node: "h1" } },
  {
    type: "cmdres",
    from: "h1",
    inc: 1795264362652,
    seq: 42,
    id: 3,
    ok: true,
    message: "db is moved to h1 by an operator",
  },
  {
    type: "hb",
    from: "w3",
    inc: 2,
    seq: 9,
    term: 0,
    claims: [],
    running: ["web"],
    unclean: ["web"],
    standby: true,
    alive: [],
    failures: {},
  },
  {
    type: "ack",
    from: "h2",
    inc: 5,
    seq: 77,
    ackInc: 1795264362652,
    ackSeq: 41,
    term: 3,
    granted: ["db"],
    denied: [
      ["*leader", "h1"],
      ["web", "-"],
    ],
  },
];
const valid = samples.map((m) => Buffer.from(JSON.stringify(toWire(m))));
const tokens = [
  '"',
  "{",
  "}",
  "[",
  "]",
  ",",
  ":",
  "null",
  "true",
  "-1",
  "1e999",
  "0.5",
  '"__proto__"',
  '"constructor"',
  "\\u0000",
  "9007199254740993",
];

function mutate(prng: Prng, input: Buffer): Buffer {
  const bytes = [...input];
  const edits = 1 + prng.int(4);
  for (let e = 0; e < edits; e++) {
    const at = prng.int(bytes.length + 1);
    switch (prng.int(6)) {
      case 0:
        bytes[at] = prng.int(256);
        break;
      case 1:
        bytes.splice(at, 1 + prng.int(8));
        break;
      case 2:
        bytes.splice(at, 0, ...Buffer.from(prng.pick(tokens)));
        break;
      case 3:
        bytes.length = Math.min(bytes.length, at);
        break;
      case 4:
        bytes.splice(at, 0, ...bytes.slice(prng.int(bytes.length), prng.int(bytes.length)));
        break;
      default:
        if (bytes[at] !== undefined) bytes[at] ^= 1 << prng.int(8);
    }
  }
  return Buffer.from(bytes);
}

describe("wire decoder fuzzing", () => {
  it("survives 1,000,000 random and mutated packets", () => {
    const prng = new Prng(20261121);
    const outcomes: Record<string, number> = {};
    let accepted = 0;
    const N = 1_000_000;
    for (let i = 0; i < N; i++) {
      let packet: Buffer;
      const kind = i % 4;
      if (kind === 0) packet = Buffer.from(Array.from({ length: prng.int(400) }, () => prng.int(256)));
      else if (kind === 1) packet = mutate(prng, codec.encode(prng.pick(samples)));
      else packet = codec.frame(mutate(prng, prng.pick(valid)));
      const r = codec.decode(packet);
      const key = r.ok ? "ok" : r.drop;
      outcomes[key] = (outcomes[key] ?? 0) + 1;
      if (r.ok) {
        accepted++;
        const again = codec.decode(codec.encode(r.msg));
        assert.ok(again.ok);
        assert.deepEqual(again.msg, r.msg);
        assert.match(r.msg.from, /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/);
        assert.ok(Number.isSafeInteger(r.msg.seq) && r.msg.seq >= 0);
      }
    }
    const total = Object.values(outcomes).reduce((a, b) => a + b, 0);
    assert.equal(total, N);
    assert.ok((outcomes["malformed"] ?? 0) + (outcomes["not-json"] ?? 0) > N / 4, JSON.stringify(outcomes));
    assert.ok(accepted > 0, "some mutations stay valid messages");
    assert.ok((outcomes["bad-mac"] ?? 0) > 0 && (outcomes["bad-magic"] ?? 0) > 0, JSON.stringify(outcomes));
  });

  it("classifies forged, foreign and broken packets", () => {
    const good = codec.encode(samples[0] as ClusterMsg);
    assert.equal(codec.decode(good).ok, true);
    assert.deepEqual(new FrameCodec(ring(Buffer.alloc(32, 8)), "fuzz", book).decode(good), {
      ok: false,
      drop: "unknown-key",
    });
    const forged = Buffer.from(good);
    forged.writeUInt8((forged.at(-2) ?? 0) ^ 1, forged.length - 2);
    assert.deepEqual(codec.decode(forged), { ok: false, drop: "bad-mac" });
    assert.deepEqual(new FrameCodec(ring(key), "other", book).decode(good), { ok: false, drop: "wrong-cluster" });
    assert.deepEqual(codec.decode(good.subarray(0, 20)), { ok: false, drop: "short" });
    assert.deepEqual(codec.decode(Buffer.alloc(70_000)), { ok: false, drop: "oversized" });
    assert.deepEqual(codec.decode(codec.frame(Buffer.from("{not json"))), { ok: false, drop: "not-json" });
    assert.deepEqual(codec.decode(codec.frame(Buffer.from('{"type":"hb"}'))), { ok: false, drop: "malformed" });
  });
});

describe("protocol versions and keys", () => {
  it("accepts a newer minor version with unknown fields, and drops those fields", () => {
    const newer = new FrameCodec(ring(key), "fuzz", book, frameOptionsFor("newer-minor"));
    for (const m of samples) {
      const packet = newer.encode(m);
      assert.equal(packet[4], PROTOCOL.minor + 1);
      assert.match(packet.toString("utf8"), /x_newer/);
      assert.deepEqual(codec.decode(packet), { ok: true, msg: m });
    }
  });

  it("refuses another major version, and the unversioned frames of vigil 0.1, saying which", () => {
    const other = new FrameCodec(ring(key), "fuzz", book, frameOptionsFor("other-major"));
    assert.deepEqual(codec.decode(other.encode(samples[0] as ClusterMsg)), {
      ok: false,
      drop: "other-major",
      major: PROTOCOL.major + 1,
    });
    const v01 = Buffer.concat([Buffer.from("VGL1\x04fuzz"), Buffer.alloc(32), Buffer.from('{"type":"hb"}')]);
    assert.deepEqual(codec.decode(v01), { ok: false, drop: "other-major", major: 1 });
  });

  it("verifies with every key of the ring and signs with the first (key rotation)", () => {
    const next = Buffer.alloc(32, 9);
    const old = new FrameCodec(ring(key), "fuzz", book);
    const both = new FrameCodec(ring(key, next), "fuzz", book);
    const switched = new FrameCodec(ring(next, key), "fuzz", book);
    const renewed = new FrameCodec(ring(next), "fuzz", book);
    const m = samples[2] as ClusterMsg;
    for (const [from, to] of [
      [old, both],
      [both, old],
      [switched, both],
      [both, switched],
      [switched, renewed],
      [renewed, switched],
    ] as const)
      assert.equal(to.decode(from.encode(m)).ok, true);
    assert.deepEqual(renewed.decode(old.encode(m)), { ok: false, drop: "unknown-key" });
    old.setKeys(ring(next));
    assert.equal(renewed.decode(old.encode(m)).ok, true);
  });
});
