// The etcd v3 operations vigil uses, over the JSON gateway: linearizable range reads, transactions,
// lease grant / keepalive / revoke, member status. Thin: requests are built and answers decoded here,
// the meaning (sessions, locks, fencing, watches) lives in the modules beside it.
import type { Compare, KeyRange, Op, RangeResult, Txn, TxnResult } from "../../core/etcd/kv.js";
import { b64, headerRevision, int, keyValue, leaseId, obj, prefixEnd, type KeyValue } from "./codec.js";
import { EtcdError } from "./errors.js";
import { EtcdTransport, type EtcdTransportOptions, type RetryPolicy } from "./transport.js";

export type {
  Compare,
  CompareResult,
  KeyRange,
  Op,
  OpResult,
  RangeResult,
  Txn,
  TxnResult,
} from "../../core/etcd/kv.js";

const TARGETS = { create: "CREATE", mod: "MOD", version: "VERSION", value: "VALUE", lease: "LEASE" } as const;
const COMPARE_FIELD = {
  create: "create_revision",
  mod: "mod_revision",
  version: "version",
  value: "value",
  lease: "lease",
} as const;

function rangeBody(r: KeyRange): Record<string, string> {
  const body: Record<string, string> = r.prefix
    ? { key: b64(r.key), range_end: prefixEnd(r.key) }
    : { key: b64(r.key) };
  if (r.minModRevision !== undefined && r.minModRevision > 0) body.min_mod_revision = String(r.minModRevision);
  return body;
}

function compareBody(c: Compare): Record<string, string> {
  const value = c.target === "value" ? b64(c.value) : String(c.value);
  return { key: b64(c.key), target: TARGETS[c.target], result: c.result, [COMPARE_FIELD[c.target]]: value };
}

function opBody(op: Op): Record<string, unknown> {
  if ("put" in op) {
    const p: Record<string, string> = { key: b64(op.put.key), value: b64(op.put.value) };
    if (op.put.lease !== undefined && op.put.lease !== "0") p.lease = op.put.lease;
    return { request_put: p };
  }
  if ("delete" in op) return { request_delete_range: rangeBody(op.delete) };
  return { request_range: rangeBody(op.range) };
}

function kvsOf(v: unknown): KeyValue[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw new EtcdError("E_ETCD_PROTOCOL", "kvs: expected a list");
  return v.map(keyValue);
}

/** An etcd v3 client over the JSON gateway; every method throws an EtcdError when etcd did not confirm. */
export class EtcdClient {
  readonly transport: EtcdTransport;

  constructor(opts: EtcdTransportOptions) {
    this.transport = new EtcdTransport(opts);
  }

  /** A linearizable read of a key or prefix (etcd's default: confirmed by a quorum at read time). */
  async range(r: KeyRange): Promise<RangeResult> {
    const a = await this.transport.call("/v3/kv/range", rangeBody(r), { retry: "any" });
    return { revision: headerRevision(a), kvs: kvsOf(a.kvs), count: int(a.count, "count") };
  }

  /** One transaction: if every `compare` holds, `success` is applied, otherwise `failure`; atomically.
   * `retry: "any"` only when applying it twice is harmless (guarded writes of the same values). */
  async txn(t: Txn, retry: RetryPolicy = "connect"): Promise<TxnResult> {
    const a = await this.transport.call(
      "/v3/kv/txn",
      { compare: t.compare.map(compareBody), success: t.success.map(opBody), failure: (t.failure ?? []).map(opBody) },
      { retry },
    );
    const responses = a.responses === undefined ? [] : a.responses;
    if (!Array.isArray(responses)) throw new EtcdError("E_ETCD_PROTOCOL", "txn responses: expected a list");
    return {
      succeeded: a.succeeded === true,
      revision: headerRevision(a),
      responses: responses.map((r) => {
        const range = obj(r, "txn response").response_range;
        return { kvs: range === undefined ? [] : kvsOf(obj(range, "response_range").kvs) };
      }),
    };
  }

  /** Grants a lease of `ttlSeconds`; etcd may grant a longer one (its minimum), which is returned. */
  async leaseGrant(ttlSeconds: number, timeoutMs?: number): Promise<{ id: string; ttlSeconds: number }> {
    const a = await this.transport.call(
      "/v3/lease/grant",
      { TTL: String(ttlSeconds) },
      { retry: "connect", timeoutMs },
    );
    if (typeof a.error === "string" && a.error !== "") throw new EtcdError("E_ETCD_REQUEST", `lease grant: ${a.error}`);
    const id = leaseId(a.ID);
    const ttl = int(a.TTL, "TTL");
    if (id === "0" || ttl <= 0) throw new EtcdError("E_ETCD_PROTOCOL", "lease grant: no lease id or TTL in the answer");
    return { id, ttlSeconds: ttl };
  }

  /** Renews lease `id` once; returns its TTL, or throws E_ETCD_LEASE_LOST when etcd no longer has it. */
  async leaseKeepAlive(id: string, timeoutMs?: number): Promise<{ ttlSeconds: number }> {
    const a = await this.transport.call("/v3/lease/keepalive", { ID: id }, { retry: "any", streamed: true, timeoutMs });
    const ttl = int(a.TTL, "TTL");
    if (ttl <= 0) throw new EtcdError("E_ETCD_LEASE_LOST", `etcd no longer has lease ${id} (expired or revoked)`);
    return { ttlSeconds: ttl };
  }

  /** Revokes lease `id`: every key attached to it is deleted at once. */
  async leaseRevoke(id: string): Promise<void> {
    await this.transport.call("/v3/lease/revoke", { ID: id }, { retry: "any" });
  }

  /** The answering member's id and the leader it knows, as decimal strings ("0": no leader). */
  async status(): Promise<{ member: string; leader: string; revision: number; endpoint: string }> {
    const endpoint = this.transport.preferred;
    const a = await this.transport.call("/v3/maintenance/status", {}, { retry: "any" });
    const h = obj(a.header, "header");
    return { member: leaseId(h.member_id), leader: leaseId(a.leader), revision: int(h.revision, "revision"), endpoint };
  }

  /** The server and cluster versions a member reports (GET /version), e.g. { server: "3.4.23" }. */
  async version(): Promise<{ server: string; cluster: string }> {
    const a = await this.transport.call("/version", undefined, { retry: "any", method: "GET" });
    if (typeof a.etcdserver !== "string") throw new EtcdError("E_ETCD_PROTOCOL", "/version: no etcdserver field");
    return { server: a.etcdserver, cluster: typeof a.etcdcluster === "string" ? a.etcdcluster : "" };
  }

  /** Closes connections; later calls fail with E_ETCD_CLOSED. */
  close(): void {
    this.transport.close();
  }
}

export type { KeyValue };
