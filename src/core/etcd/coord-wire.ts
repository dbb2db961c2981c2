// What the etcd coordination core (coord-node.ts) asks of etcd and what comes back: plain values, so
// that the daemon's HTTP client and the simulator's in-memory etcd answer the very same requests.
import type { EtcdErrorCode, KeyRange, RangeResult, Txn, TxnResult } from "./kv.js";

/** The peer name under which etcd's answers reach the core (and its requests leave it). */
export const ETCD_PEER = "etcd";

/** One request to etcd. */
export type EtcdRequest =
  | { op: "grant"; ttlSeconds: number }
  | { op: "keepalive"; lease: string }
  | { op: "txn"; txn: Txn }
  | { op: "range"; range: KeyRange };

/** etcd's answer to a request, by its kind. */
export type EtcdAnswer =
  | { op: "grant"; lease: string; ttlSeconds: number }
  /** ttlSeconds 0: etcd no longer has the lease. */
  | { op: "keepalive"; ttlSeconds: number }
  | { op: "txn"; result: TxnResult }
  | { op: "range"; result: RangeResult };

/** Messages between the core and etcd: a request with its id, and its answer or failure. */
export type EtcdWire =
  | { t: "req"; id: number; req: EtcdRequest }
  | { t: "ok"; id: number; answer: EtcdAnswer }
  | { t: "err"; id: number; code: EtcdErrorCode; message: string };

/** A message in a few words, for traces. */
export function describeEtcdWire(m: EtcdWire): string {
  switch (m.t) {
    case "req":
      return `#${m.id} ${m.req.op}${m.req.op === "txn" ? ` ${m.req.txn.success.map(opName).join(",")}` : m.req.op === "range" ? ` ${m.req.range.key}` : ""}`;
    case "ok":
      return `#${m.id} ok ${m.answer.op}${m.answer.op === "txn" ? (m.answer.result.succeeded ? " succeeded" : " failed") : ""}`;
    case "err":
      return `#${m.id} ${m.code}`;
  }
}

function opName(op: Txn["success"][number]): string {
  if ("put" in op) return `put ${op.put.key}`;
  if ("delete" in op) return `delete ${op.delete.key}`;
  return `range ${op.range.key}`;
}
