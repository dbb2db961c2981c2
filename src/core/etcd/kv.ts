// The etcd v3 key-value vocabulary vigil speaks, shared by the real client (src/adapters/etcd) and the
// simulator's in-memory etcd (src/sim/etcd-model.ts), so that both are driven by the same requests.

/** Stable codes of etcd failures (the client's EtcdError and the model's refusals). */
export type EtcdErrorCode =
  /** No endpoint could be reached or answered in time (connection refused, reset, no leader). */
  | "E_ETCD_UNAVAILABLE"
  /** One request got no complete answer within its time limit; it may or may not have been applied. */
  | "E_ETCD_TIMEOUT"
  /** etcd answered with an error (its gRPC code and message are in the message). */
  | "E_ETCD_REQUEST"
  /** The answer was not what the v3 JSON gateway sends (bad JSON, missing fields, numbers too large). */
  | "E_ETCD_PROTOCOL"
  /** etcd no longer has the session lease (it expired or was revoked on the server). */
  | "E_ETCD_LEASE_LOST"
  /** No keepalive was answered within the session's validity: the lease must be presumed gone. */
  | "E_ETCD_SESSION_EXPIRED"
  /** A write guarded by a fencing token was refused: the lock is no longer held with that token. */
  | "E_ETCD_FENCED"
  /** A watch asked for a revision etcd has already compacted: re-read, then watch from the new revision. */
  | "E_ETCD_COMPACTED"
  /** The client or session was closed by its owner. */
  | "E_ETCD_CLOSED";

/** One key as etcd stores it. */
export interface KeyValue {
  key: string;
  value: string;
  /** The revision that created the key (its fencing token when it is a lock); 0: the key is absent. */
  createRevision: number;
  modRevision: number;
  version: number;
  /** The lease the key is attached to ("0": none). Lease ids are int64, kept as decimal strings. */
  lease: string;
}

/** A key, or every key under a prefix. */
export interface KeyRange {
  key: string;
  /** When true, every key starting with `key`. */
  prefix?: boolean;
  /** Range reads only: return only keys last modified at or after this revision (etcd's
   * min_mod_revision); the answer's count still counts every key in the range. */
  minModRevision?: number;
}

/** The most operations etcd accepts in one transaction (its --max-txn-ops default). */
export const MAX_TXN_OPS = 128;

export type CompareResult = "EQUAL" | "GREATER" | "LESS" | "NOT_EQUAL";

/** One comparison of a transaction (`target` of `key` compared with `value`). */
export type Compare =
  | { key: string; target: "create"; result: CompareResult; value: number }
  | { key: string; target: "mod"; result: CompareResult; value: number }
  | { key: string; target: "version"; result: CompareResult; value: number }
  | { key: string; target: "value"; result: CompareResult; value: string }
  | { key: string; target: "lease"; result: CompareResult; value: string };

/** One operation of a transaction. */
export type Op = { put: { key: string; value: string; lease?: string } } | { delete: KeyRange } | { range: KeyRange };

/** A transaction: if every `compare` holds, `success` is applied, otherwise `failure`; atomically. */
export interface Txn {
  compare: Compare[];
  success: Op[];
  failure?: Op[];
}

/** The answer to one operation: the keys a range found (empty for put and delete). */
export interface OpResult {
  kvs: KeyValue[];
}

/** The answer to a transaction. */
export interface TxnResult {
  succeeded: boolean;
  /** The store revision after the transaction (the revision of its writes when it wrote). */
  revision: number;
  responses: OpResult[];
}

/** What a linearizable read returned. */
export interface RangeResult {
  revision: number;
  kvs: KeyValue[];
  /** How many keys the range holds, including those a minModRevision filter left out. */
  count: number;
}

/** Whether `key` falls in range `r`. */
export function inRange(r: KeyRange, key: string): boolean {
  return r.prefix ? key.startsWith(r.key) : key === r.key;
}

function compareValues<T extends number | string>(a: T, b: T, result: CompareResult): boolean {
  switch (result) {
    case "EQUAL":
      return a === b;
    case "NOT_EQUAL":
      return a !== b;
    case "GREATER":
      return a > b;
    case "LESS":
      return a < b;
  }
}

/** Whether comparison `c` holds for the key's current state (`kv` undefined: absent, all fields zero),
 * as etcd evaluates it. For lease ids, only EQUAL and NOT_EQUAL are meaningful here. */
export function compareHolds(c: Compare, kv: KeyValue | undefined): boolean {
  switch (c.target) {
    case "create":
      return compareValues(kv?.createRevision ?? 0, c.value, c.result);
    case "mod":
      return compareValues(kv?.modRevision ?? 0, c.value, c.result);
    case "version":
      return compareValues(kv?.version ?? 0, c.value, c.result);
    case "value":
      // etcd: a value comparison with an absent key is false.
      return kv !== undefined && compareValues(kv.value, c.value, c.result);
    case "lease":
      return compareValues(kv?.lease ?? "0", c.value, c.result);
  }
}
