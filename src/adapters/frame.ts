// The wire format of cluster packets: magic, cluster name, HMAC-SHA256 over everything else, payload.
//   "VGL1" | name length (1 byte) | cluster name | MAC (32 bytes) | payload (JSON, see core/cluster/messages)
// The MAC binds the cluster name and payload to the shared key; a packet that fails any check is a
// counted drop reason, never an exception.
import { createHmac, timingSafeEqual } from "node:crypto";
import { decodeMessage, encodeMessage, MAX_PAYLOAD, type ClusterMsg } from "../core/cluster/messages.js";

const MAGIC = Buffer.from("VGL1");
const MAC_BYTES = 32;

/** Largest packet accepted or produced. */
export const MAX_PACKET = MAGIC.length + 1 + 255 + MAC_BYTES + MAX_PAYLOAD;

/** Why a packet was dropped before it reached the core. */
export type FrameDrop = "short" | "bad-magic" | "wrong-cluster" | "bad-mac" | "oversized" | "not-json" | "malformed";

/** Encodes and authenticates packets of one cluster. */
export class FrameCodec {
  private name: Buffer;

  constructor(
    private key: Buffer,
    clusterName: string,
  ) {
    this.name = Buffer.from(clusterName, "utf8");
    if (this.name.length > 255) throw new Error("cluster name too long for the wire format");
  }

  private mac(header: Buffer, payload: Uint8Array): Buffer {
    return createHmac("sha256", this.key).update(header).update(payload).digest();
  }

  /** Builds the packet for one message. */
  encode(msg: ClusterMsg): Buffer {
    return this.frame(encodeMessage(msg));
  }

  /** Frames and authenticates raw payload bytes (used by encode, and by fuzzing to reach the decoder). */
  frame(payload: Uint8Array): Buffer {
    const header = Buffer.concat([MAGIC, Buffer.from([this.name.length]), this.name]);
    return Buffer.concat([header, this.mac(header, payload), payload]);
  }

  /** Checks and decodes a packet. */
  decode(packet: Uint8Array): { ok: true; msg: ClusterMsg } | { ok: false; drop: FrameDrop } {
    const buf = Buffer.from(packet.buffer, packet.byteOffset, packet.byteLength);
    if (buf.length > MAX_PACKET) return { ok: false, drop: "oversized" };
    if (buf.length < MAGIC.length + 1 + MAC_BYTES) return { ok: false, drop: "short" };
    if (!buf.subarray(0, MAGIC.length).equals(MAGIC)) return { ok: false, drop: "bad-magic" };
    const nameLen = buf[MAGIC.length] as number;
    const headerLen = MAGIC.length + 1 + nameLen;
    if (buf.length < headerLen + MAC_BYTES) return { ok: false, drop: "short" };
    if (!buf.subarray(MAGIC.length + 1, headerLen).equals(this.name)) return { ok: false, drop: "wrong-cluster" };
    const mac = buf.subarray(headerLen, headerLen + MAC_BYTES);
    const payload = buf.subarray(headerLen + MAC_BYTES);
    if (!timingSafeEqual(mac, this.mac(buf.subarray(0, headerLen), payload))) return { ok: false, drop: "bad-mac" };
    const decoded = decodeMessage(payload);
    return decoded.ok ? decoded : { ok: false, drop: decoded.error };
  }
}
