// The wire format of cluster packets (protocol major version 2):
//   "VGL" | major (ASCII digit) | minor (1 byte) | key id (4 bytes) | name length (1 byte) | cluster name
//   | MAC (32 bytes) | payload (JSON in the compact form of compact-wire.ts)
// The MAC (HMAC-SHA256 with the key the key id names) covers the header and the payload. Everything
// before the MAC is checked first, with no cryptography (length, magic, major version, cluster name,
// key id): a packet that fails those costs a few comparisons, not an HMAC. The key id also stops blind
// spoofers (it is derived from the key, so only someone who sees cluster traffic knows it); the
// transport's per-source budget (source-budget.ts) bounds the HMACs that even those can cause. Within one major version the
// minor may differ (newer nodes may add message fields, which older ones drop); another major is
// refused as "other-major" and the frame says which. vigil 0.1 sent "VGL1" frames without a version
// or key id: they read as major 1. A packet that fails any check is a counted drop reason, never an
// exception.
import { createHmac, timingSafeEqual } from "node:crypto";
import { MAX_PAYLOAD, type ClusterMsg } from "../core/cluster/messages.js";
import type { NameBook } from "../core/cluster/wire-ids.js";
import { fromWire, toWire } from "./compact-wire.js";
import { keyId, type KeyRing } from "./key-ring.js";

/** The protocol version this build speaks. */
export const PROTOCOL = { major: 2, minor: 0 } as const;

const MAGIC = Buffer.from("VGL");
const MAJOR_AT = 3;
const MINOR_AT = 4;
const KEY_ID_AT = 5;
const NAME_LEN_AT = 9;
const MAC_BYTES = 32;
const ASCII_0 = 0x30;
const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/** Largest packet accepted or produced. */
export const MAX_PACKET = NAME_LEN_AT + 1 + 255 + MAC_BYTES + MAX_PAYLOAD;

/** Why a packet was dropped before it reached the core. */
export type FrameDrop =
  | "short"
  | "bad-magic"
  | "other-major"
  | "wrong-cluster"
  | "unknown-key"
  | "rate-limited"
  | "bad-mac"
  | "oversized"
  | "not-json"
  | "malformed";

/** The outcome of decoding one packet; `major` is set for "other-major" drops. */
export type FrameResult = { ok: true; msg: ClusterMsg } | { ok: false; drop: FrameDrop; major?: number };

/** How this node frames what it sends; the defaults are this build's protocol. `payload` rewrites the
 * encoded payload (tests only: to act as a node of a newer minor version that adds fields). */
export interface FrameOptions {
  major?: number;
  minor?: number;
  payload?: (msg: ClusterMsg) => Uint8Array;
}

/** Encodes and authenticates packets of one cluster. */
export class FrameCodec {
  private name: Buffer;
  private sendKey!: { id: number; key: Buffer };
  private keys = new Map<number, Buffer>();

  constructor(
    ring: KeyRing,
    clusterName: string,
    /** Names of the ids in received messages (this node's nodes, groups and the leader lock). */
    private book: NameBook,
    private opts: FrameOptions = {},
  ) {
    this.name = Buffer.from(clusterName, "utf8");
    if (this.name.length > 255) throw new Error("cluster name too long for the wire format");
    this.setKeys(ring);
  }

  /** Replaces the keys (a reload during a key rotation); takes effect with the next packet. */
  setKeys(ring: KeyRing): void {
    this.last = undefined;
    this.keys = new Map(ring.accept.map((k) => [keyId(k), k]));
    this.sendKey = { id: keyId(ring.send), key: ring.send };
  }

  /** Replaces the names of ids (a reload changed the groups). */
  setBook(book: NameBook): void {
    this.book = book;
  }

  /** Key ids accepted now (for status and tests). */
  get keyIds(): number[] {
    return [...this.keys.keys()];
  }

  private mac(key: Buffer, header: Uint8Array, payload: Uint8Array): Buffer {
    return createHmac("sha256", key).update(header).update(payload).digest();
  }

  private last: { msg: ClusterMsg; packet: Buffer } | undefined;

  /** Builds the packet for one message. The core sends one heartbeat object to every peer, so the
   * packet of the last message is kept and reused (messages are not changed after they are sent). */
  encode(msg: ClusterMsg): Buffer {
    if (this.last?.msg === msg) return this.last.packet;
    const packet = this.frameOf(msg);
    this.last = { msg, packet };
    return packet;
  }

  private frameOf(msg: ClusterMsg): Buffer {
    return this.frame(this.opts.payload ? this.opts.payload(msg) : encoder.encode(JSON.stringify(toWire(msg))));
  }

  /** Frames and authenticates raw payload bytes (used by encode, and by fuzzing to reach the decoder). */
  frame(payload: Uint8Array): Buffer {
    const header = Buffer.alloc(NAME_LEN_AT + 1 + this.name.length);
    MAGIC.copy(header, 0);
    header[MAJOR_AT] = ASCII_0 + (this.opts.major ?? PROTOCOL.major);
    header[MINOR_AT] = this.opts.minor ?? PROTOCOL.minor;
    header.writeUInt32BE(this.sendKey.id, KEY_ID_AT);
    header[NAME_LEN_AT] = this.name.length;
    this.name.copy(header, NAME_LEN_AT + 1);
    return Buffer.concat([header, this.mac(this.sendKey.key, header, payload), payload]);
  }

  /** Checks and decodes a packet: every check without cryptography first, then `admit` (a per-source
   * budget: false drops the packet as "rate-limited"), then the MAC, then the payload. */
  decode(packet: Uint8Array, admit: () => boolean = () => true): FrameResult {
    const buf = Buffer.from(packet.buffer, packet.byteOffset, packet.byteLength);
    if (buf.length > MAX_PACKET) return { ok: false, drop: "oversized" };
    if (buf.length < MAJOR_AT + 1) return { ok: false, drop: "short" };
    if (buf[0] !== MAGIC[0] || buf[1] !== MAGIC[1] || buf[2] !== MAGIC[2]) return { ok: false, drop: "bad-magic" };
    const major = (buf[MAJOR_AT] as number) - ASCII_0;
    if (major !== PROTOCOL.major) return { ok: false, drop: "other-major", major };
    if (buf.length < NAME_LEN_AT + 1 + MAC_BYTES) return { ok: false, drop: "short" };
    const nameLen = buf[NAME_LEN_AT] as number;
    const headerLen = NAME_LEN_AT + 1 + nameLen;
    if (buf.length < headerLen + MAC_BYTES) return { ok: false, drop: "short" };
    if (nameLen !== this.name.length || !buf.subarray(NAME_LEN_AT + 1, headerLen).equals(this.name))
      return { ok: false, drop: "wrong-cluster" };
    const key = this.keys.get(buf.readUInt32BE(KEY_ID_AT));
    if (!key) return { ok: false, drop: "unknown-key" };
    if (!admit()) return { ok: false, drop: "rate-limited" };
    const mac = buf.subarray(headerLen, headerLen + MAC_BYTES);
    const payload = buf.subarray(headerLen + MAC_BYTES);
    if (!timingSafeEqual(mac, this.mac(key, buf.subarray(0, headerLen), payload)))
      return { ok: false, drop: "bad-mac" };
    if (payload.length > MAX_PAYLOAD) return { ok: false, drop: "oversized" };
    let value: unknown;
    try {
      value = JSON.parse(decoder.decode(payload));
    } catch {
      return { ok: false, drop: "not-json" };
    }
    const msg = fromWire(value, this.book);
    return msg ? { ok: true, msg } : { ok: false, drop: "malformed" };
  }
}
