// The v3 JSON gateway's encoding: keys and values are base64, 64-bit integers are decimal strings, and
// fields holding their default (0, false, empty) are left out of answers.
import type { KeyValue } from "../../core/etcd/kv.js";
import { EtcdError } from "./errors.js";

export type { KeyValue };

/** A key or value (UTF-8 text) as the gateway wants it. */
export function b64(text: string): string {
  return Buffer.from(text, "utf8").toString("base64");
}

/** Decodes a base64 key or value; an absent field is the empty string. */
export function unb64(field: unknown): string {
  if (field === undefined) return "";
  if (typeof field !== "string") throw new EtcdError("E_ETCD_PROTOCOL", `expected base64 text, got ${typeof field}`);
  return Buffer.from(field, "base64").toString("utf8");
}

/** The end of the range holding every key that starts with `prefix` (the prefix with its last byte + 1). */
export function prefixEnd(prefix: string): string {
  const bytes = Buffer.from(prefix, "utf8");
  for (let i = bytes.length - 1; i >= 0; i--) {
    if ((bytes[i] ?? 0) < 0xff) {
      const end = Buffer.from(bytes.subarray(0, i + 1));
      end[i] = (end[i] ?? 0) + 1;
      return end.toString("base64");
    }
  }
  return Buffer.from([0]).toString("base64"); // every key
}

/** A revision, version or TTL (int64 as a decimal string, absent when 0), as a safe JS integer. */
export function int(field: unknown, what: string): number {
  if (field === undefined) return 0;
  const n =
    typeof field === "string" && /^-?\d+$/.test(field) ? Number(field) : typeof field === "number" ? field : NaN;
  if (!Number.isSafeInteger(n))
    throw new EtcdError("E_ETCD_PROTOCOL", `${what}: expected an integer, got ${JSON.stringify(field)}`);
  return n;
}

/** A lease id (int64, may exceed 2^53): kept as its decimal string; "0" means no lease. */
export function leaseId(field: unknown): string {
  if (field === undefined) return "0";
  if (typeof field === "string" && /^-?\d+$/.test(field)) return field;
  if (typeof field === "number" && Number.isSafeInteger(field)) return String(field);
  throw new EtcdError("E_ETCD_PROTOCOL", `lease id: expected an integer, got ${JSON.stringify(field)}`);
}

/** A JSON object field, or a protocol error. */
export function obj(v: unknown, what: string): Record<string, unknown> {
  if (v === null || typeof v !== "object" || Array.isArray(v))
    throw new EtcdError("E_ETCD_PROTOCOL", `${what}: expected an object`);
  return v as Record<string, unknown>;
}

/** Decodes one `mvccpb.KeyValue`. */
export function keyValue(v: unknown): KeyValue {
  const kv = obj(v, "kv");
  return {
    key: unb64(kv.key),
    value: unb64(kv.value),
    createRevision: int(kv.create_revision, "create_revision"),
    modRevision: int(kv.mod_revision, "mod_revision"),
    version: int(kv.version, "version"),
    lease: leaseId(kv.lease),
  };
}

/** The store revision in a response header. */
export function headerRevision(v: unknown): number {
  const h = obj(obj(v, "response").header, "header");
  return int(h.revision, "header.revision");
}
