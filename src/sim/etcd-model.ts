// An in-memory etcd for the simulator: a revisioned key-value store with linearizable transactions,
// leases that the leader revokes on a periodic scan (every 500ms, as etcd's lessor does, so a lease lives
// up to one scan past its expiry), an election after which every lease is extended by its full TTL (etcd's
// lessor Promote), and watches whose events arrive late but in order. Time comes in as an argument;
// nothing here reads a clock. Requests are the same values the real client sends (src/core/etcd/kv.ts).
import {
  MAX_TXN_OPS,
  compareHolds,
  inRange,
  type EtcdErrorCode,
  type KeyRange,
  type KeyValue,
  type Op,
  type OpResult,
  type RangeResult,
  type Txn,
  type TxnResult,
} from "../core/etcd/kv.js";
import { EventQueue } from "./queue.js";

/** A request etcd refused or could not serve; `code` as the real client reports it. */
export class EtcdModelError extends Error {
  constructor(
    readonly code: EtcdErrorCode,
    message: string,
  ) {
    super(`${message} [${code}]`);
  }
}

/** One change, as a watch delivers it. */
export interface ModelWatchEvent {
  type: "put" | "delete";
  kv: KeyValue;
}

/** Settings of the model. */
export interface EtcdModelOptions {
  /** How often the leader revokes expired leases, ms (etcd: 500). */
  leaseScanMs?: number;
  /** Time of the first scan, ms (the scan's phase against the clients' timers). */
  firstScanAt?: number;
  /** Smallest TTL granted, seconds (etcd: 1.5 × election timeout, 2s with its defaults). */
  minTtlSeconds?: number;
  /** Delay of the watch batch of `revision` on watch `watchId`, ms (e.g. drawn from the simulator's PRNG).
   * Batches of one watch never overtake each other. Default 0. */
  watchDelayMs?: (watchId: number, revision: number) => number;
}

interface Lease {
  id: string;
  ttlSeconds: number;
  /** Leader time at which the lease expires unless renewed. */
  expiry: number;
  keys: Set<string>;
}

interface Watch {
  range: KeyRange;
  deliver: (events: ModelWatchEvent[]) => void;
  /** Time of this watch's last scheduled delivery (later batches are never delivered before it). */
  lastAt: number;
}

/** A revisioned etcd store with leases and watches, driven by the caller's clock. */
export class EtcdModel {
  private rev = 1;
  private compacted = 0;
  private readonly store = new Map<string, KeyValue>();
  private readonly leases = new Map<string, Lease>();
  private readonly history: { revision: number; events: ModelWatchEvent[] }[] = [];
  private readonly watches = new Map<number, Watch>();
  private readonly deliveries = new EventQueue<{ watchId: number; events: ModelWatchEvent[] }>();
  private nextLeaseId = 7_000_000_000_000_000_001n;
  private nextWatchId = 1;
  private nextScan: number;
  private now = 0;
  private unavailableUntil = -Infinity;
  private promoteAt: number | undefined;
  private readonly scanMs: number;
  /** Leases revoked because they expired, with the scan time (for invariant checks and traces). */
  readonly expiries: { id: string; at: number; expiry: number }[] = [];

  constructor(private readonly opts: EtcdModelOptions = {}) {
    this.scanMs = opts.leaseScanMs ?? 500;
    this.nextScan = opts.firstScanAt ?? this.scanMs;
  }

  /** The current store revision. */
  get revision(): number {
    return this.rev;
  }

  /** Whether a leader serves requests at `now`. */
  available(now: number): boolean {
    return now >= this.unavailableUntil;
  }

  /** The leader's expiry time of lease `id` (undefined: no such lease). */
  leaseExpiry(id: string): number | undefined {
    return this.leases.get(id)?.expiry;
  }

  /** The earliest time after `now` at which the model does something by itself (a scan, a delivery, the
   * end of an election), for the simulator's event loop. */
  nextEventAt(): number {
    const t = [this.nextScan, this.deliveries.peekTime() ?? Infinity, this.promoteAt ?? Infinity];
    return Math.min(...t);
  }

  /** Runs every scan, election end and watch delivery due by `now`, in time order. */
  advance(now: number): void {
    if (now < this.now) throw new Error(`etcd model: time went back from ${this.now} to ${now}`);
    for (;;) {
      const next = this.nextEventAt();
      if (next > now) break;
      this.now = next;
      if (this.promoteAt !== undefined && this.promoteAt === next) {
        // A new leader renews every lease by its full TTL (etcd lessor.Promote).
        for (const l of this.leases.values()) l.expiry = Math.max(l.expiry, next + l.ttlSeconds * 1000);
        this.promoteAt = undefined;
      } else if (this.nextScan === next) {
        if (this.available(next)) this.revokeExpired(next);
        this.nextScan += this.scanMs;
      } else {
        const d = this.deliveries.pop();
        const w = d ? this.watches.get(d.item.watchId) : undefined;
        if (d && w) w.deliver(d.item.events);
      }
    }
    this.now = now;
  }

  /** The leader is lost at `now`; a new one serves from `now + electionMs`, and extends every lease. No
   * request is served and no lease expires meanwhile. Also models a full outage and recovery. */
  loseLeader(now: number, electionMs: number): void {
    this.advance(now);
    this.unavailableUntil = Math.max(this.unavailableUntil, now + electionMs);
    this.promoteAt = this.unavailableUntil;
  }

  /** Grants a lease; etcd raises a TTL below its minimum. */
  grant(now: number, ttlSeconds: number): { id: string; ttlSeconds: number } {
    this.serve(now);
    const ttl = Math.max(ttlSeconds, this.opts.minTtlSeconds ?? 2);
    const id = String(this.nextLeaseId++);
    this.leases.set(id, { id, ttlSeconds: ttl, expiry: now + ttl * 1000, keys: new Set() });
    return { id, ttlSeconds: ttl };
  }

  /** Renews lease `id` by its TTL from `now` (the leader's time of handling it). A lease past its expiry
   * but not yet revoked cannot be renewed: E_ETCD_LEASE_LOST, as for an unknown one. */
  keepAlive(now: number, id: string): { ttlSeconds: number } {
    this.serve(now);
    const l = this.leases.get(id);
    if (!l || now >= l.expiry) throw new EtcdModelError("E_ETCD_LEASE_LOST", `lease ${id} not found`);
    l.expiry = now + l.ttlSeconds * 1000;
    return { ttlSeconds: l.ttlSeconds };
  }

  /** Revokes lease `id` and deletes its keys. */
  revoke(now: number, id: string): void {
    this.serve(now);
    if (!this.leases.has(id)) throw new EtcdModelError("E_ETCD_LEASE_LOST", `lease ${id} not found`);
    this.revokeLease(id);
  }

  /** A linearizable read. */
  range(now: number, r: KeyRange): RangeResult {
    this.serve(now);
    const all = this.read(r);
    const min = r.minModRevision ?? 0;
    return { revision: this.rev, kvs: all.filter((kv) => kv.modRevision >= min), count: all.length };
  }

  /** Applies a transaction atomically at `now`. A put naming a lease etcd does not have fails the whole
   * transaction (E_ETCD_LEASE_LOST) and changes nothing. */
  txn(now: number, t: Txn): TxnResult {
    this.serve(now);
    const size = Math.max(t.success.length, t.failure?.length ?? 0);
    if (size > MAX_TXN_OPS)
      throw new EtcdModelError("E_ETCD_REQUEST", `etcdserver: too many operations in txn request (${size})`);
    const succeeded = t.compare.every((c) => compareHolds(c, this.store.get(c.key)));
    const ops = succeeded ? t.success : (t.failure ?? []);
    for (const op of ops)
      if ("put" in op && op.put.lease !== undefined && op.put.lease !== "0" && !this.leases.has(op.put.lease))
        throw new EtcdModelError("E_ETCD_LEASE_LOST", `requested lease ${op.put.lease} not found`);
    const writes = ops.some((op) => !("range" in op));
    const revision = writes ? this.rev + 1 : this.rev;
    const events: ModelWatchEvent[] = [];
    const responses: OpResult[] = ops.map((op) => this.apply(op, revision, events));
    if (events.length > 0) this.commit(revision, events);
    return { succeeded, revision: this.rev, responses };
  }

  /** Watches `range` from `startRevision`: past events are replayed, later ones follow, each batch after
   * its delay. Throws E_ETCD_COMPACTED for a revision already compacted. Returns the watch id. */
  watch(now: number, range: KeyRange, startRevision: number, deliver: (events: ModelWatchEvent[]) => void): number {
    this.serve(now);
    if (startRevision <= this.compacted)
      throw new EtcdModelError("E_ETCD_COMPACTED", `revision ${startRevision} is compacted (up to ${this.compacted})`);
    const id = this.nextWatchId++;
    this.watches.set(id, { range, deliver, lastAt: now });
    for (const h of this.history) if (h.revision >= startRevision) this.schedule(id, h.revision, h.events, now);
    return id;
  }

  /** Stops watch `id`; nothing more is delivered to it. */
  cancelWatch(id: number): void {
    this.watches.delete(id);
  }

  /** Forgets history up to `revision`: a watch can no longer start there. */
  compact(revision: number): void {
    this.compacted = Math.max(this.compacted, Math.min(revision, this.rev));
    while (this.history.length > 0 && (this.history[0]?.revision ?? Infinity) <= this.compacted) this.history.shift();
  }

  private serve(now: number): void {
    this.advance(now);
    if (!this.available(now)) throw new EtcdModelError("E_ETCD_UNAVAILABLE", "etcd has no leader");
  }

  private read(r: KeyRange): KeyValue[] {
    return [...this.store.values()].filter((kv) => inRange(r, kv.key)).sort((a, b) => (a.key < b.key ? -1 : 1));
  }

  private apply(op: Op, revision: number, events: ModelWatchEvent[]): OpResult {
    if ("range" in op) return { kvs: this.read(op.range) };
    if ("delete" in op) {
      for (const kv of this.read(op.delete)) this.remove(kv, revision, events);
      return { kvs: [] };
    }
    const { key, value } = op.put;
    const lease = op.put.lease ?? "0";
    const old = this.store.get(key);
    if (old && old.lease !== "0") this.leases.get(old.lease)?.keys.delete(key);
    const kv: KeyValue = {
      key,
      value,
      createRevision: old?.createRevision ?? revision,
      modRevision: revision,
      version: (old?.version ?? 0) + 1,
      lease,
    };
    this.store.set(key, kv);
    if (lease !== "0") this.leases.get(lease)?.keys.add(key);
    events.push({ type: "put", kv: { ...kv } });
    return { kvs: [] };
  }

  private remove(kv: KeyValue, revision: number, events: ModelWatchEvent[]): void {
    this.store.delete(kv.key);
    if (kv.lease !== "0") this.leases.get(kv.lease)?.keys.delete(kv.key);
    events.push({
      type: "delete",
      kv: { key: kv.key, value: "", createRevision: 0, modRevision: revision, version: 0, lease: "0" },
    });
  }

  private commit(revision: number, events: ModelWatchEvent[]): void {
    this.rev = revision;
    this.history.push({ revision, events });
    for (const id of this.watches.keys()) this.schedule(id, revision, events, this.now);
  }

  private schedule(id: number, revision: number, events: ModelWatchEvent[], now: number): void {
    const w = this.watches.get(id);
    if (!w) return;
    const mine = events.filter((e) => inRange(w.range, e.kv.key));
    if (mine.length === 0) return;
    const at = Math.max(w.lastAt, now + Math.max(0, this.opts.watchDelayMs?.(id, revision) ?? 0));
    w.lastAt = at;
    this.deliveries.push(at, { watchId: id, events: mine });
  }

  private revokeExpired(now: number): void {
    for (const l of [...this.leases.values()])
      if (l.expiry <= now) {
        this.expiries.push({ id: l.id, at: now, expiry: l.expiry });
        this.revokeLease(l.id);
      }
  }

  private revokeLease(id: string): void {
    const l = this.leases.get(id);
    if (!l) return;
    this.leases.delete(id);
    const events: ModelWatchEvent[] = [];
    const revision = this.rev + 1;
    for (const key of [...l.keys].sort()) {
      const kv = this.store.get(key);
      if (kv) this.remove(kv, revision, events);
    }
    if (events.length > 0) this.commit(revision, events);
  }
}
