// A watch on a key or prefix that survives lost connections: it reconnects (to the next endpoint) from
// the revision after the last event it delivered, so no event is lost or repeated. A connection that has
// said nothing for `idleMs` is reopened too (a frozen member keeps its TCP connection open but sends
// nothing). The watcher says when it is not connected; a revision etcd has compacted ends it with
// E_ETCD_COMPACTED (re-read, then watch again).
import { b64, int, keyValue, obj, prefixEnd, type KeyValue } from "./codec.js";
import type { EtcdClient, KeyRange } from "./client.js";
import { EtcdError } from "./errors.js";
import { grpcError, type EtcdStream } from "./transport.js";

/** One change. */
export interface WatchEvent {
  type: "put" | "delete";
  /** The key after the change (for a delete: key and mod_revision of the deletion, empty value). */
  kv: KeyValue;
}

/** How to watch. */
export interface WatchOptions extends KeyRange {
  /** The first revision to deliver (usually the revision of the read the caller started from + 1). */
  startRevision: number;
  /** Called with each batch of events, in revision order. */
  onEvents: (events: WatchEvent[]) => void;
  /** Called when the watch connects (true) or loses its connection (false, with why). */
  onState?: (connected: boolean, why?: EtcdError) => void;
  /** Called once when the watch ends for good (compacted, closed). */
  onEnd?: (why: EtcdError) => void;
  /** Reopen a connection that delivered nothing for this long, ms (default 10000). */
  idleMs?: number;
  /** Wait before reconnecting, ms (default 200). */
  retryMs?: number;
}

/** A running watch; `close()` ends it. */
export class EtcdWatch {
  private next: number;
  private stream: EtcdStream | undefined;
  private closed = false;
  private idle: NodeJS.Timeout | undefined;
  private retry: NodeJS.Timeout | undefined;
  private reconnects = 0;

  constructor(
    private readonly client: EtcdClient,
    private readonly opts: WatchOptions,
  ) {
    this.next = opts.startRevision;
    this.connect();
  }

  /** The revision the watch will deliver next. */
  get nextRevision(): number {
    return this.next;
  }

  /** How many times it reconnected. */
  get reconnections(): number {
    return this.reconnects;
  }

  /** The endpoint of the current connection. */
  get endpoint(): string | undefined {
    return this.stream?.endpoint;
  }

  /** Ends the watch. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.idle);
    clearTimeout(this.retry);
    this.stream?.close();
    this.opts.onEnd?.(new EtcdError("E_ETCD_CLOSED", "watch closed"));
  }

  private connect(): void {
    if (this.closed) return;
    const o = this.opts;
    const create: Record<string, unknown> = { key: b64(o.key), start_revision: String(this.next) };
    if (o.prefix) create.range_end = prefixEnd(o.key);
    let stream: EtcdStream | undefined;
    let failed: EtcdError | undefined;
    const onMessage = (m: Record<string, unknown>) => {
      this.touch(stream);
      if (m.error !== undefined) throw grpcError(m.error);
      const r = obj(m.result, "watch result");
      if (r.created === true) o.onState?.(true);
      if (int(r.compact_revision, "compact_revision") > 0) {
        failed = new EtcdError(
          "E_ETCD_COMPACTED",
          `watch from revision ${this.next}: etcd compacted up to ${int(r.compact_revision, "compact_revision")}; re-read and watch again`,
        );
        throw failed;
      }
      if (r.canceled === true) {
        failed = new EtcdError(
          "E_ETCD_REQUEST",
          `watch canceled by etcd: ${String(r.cancel_reason ?? "no reason given")}`,
        );
        throw failed;
      }
      const events = r.events === undefined ? [] : r.events;
      if (!Array.isArray(events)) throw new EtcdError("E_ETCD_PROTOCOL", "watch events: expected a list");
      if (events.length === 0) return;
      const decoded = events.map((e): WatchEvent => {
        const ev = obj(e, "event");
        return { type: ev.type === "DELETE" ? "delete" : "put", kv: keyValue(ev.kv) };
      });
      const fresh = decoded.filter((e) => e.kv.modRevision >= this.next);
      const last = decoded[decoded.length - 1];
      if (last) this.next = Math.max(this.next, last.kv.modRevision + 1);
      if (fresh.length > 0) o.onEvents(fresh);
    };
    try {
      stream = this.client.transport.stream("/v3/watch", { create_request: create }, onMessage);
    } catch (err) {
      return this.lost(err instanceof EtcdError ? err : new EtcdError("E_ETCD_UNAVAILABLE", (err as Error).message));
    }
    this.stream = stream;
    this.touch(stream);
    const s = stream;
    s.done.then(
      () => {
        if (this.stream === s && !this.closed) this.lost(new EtcdError("E_ETCD_UNAVAILABLE", "the watch stream ended"));
      },
      (err: unknown) => {
        if (this.stream !== s) return;
        const e = failed ?? (err instanceof EtcdError ? err : new EtcdError("E_ETCD_UNAVAILABLE", String(err)));
        if (e.code === "E_ETCD_COMPACTED" || e.code === "E_ETCD_CLOSED") return this.finish(e);
        this.lost(e);
      },
    );
  }

  /** (Re)arms the idle timer of the current stream. */
  private touch(s: EtcdStream | undefined): void {
    clearTimeout(this.idle);
    if (this.closed) return;
    this.idle = setTimeout(() => {
      if (this.stream !== s || this.closed) return;
      s?.close();
      if (s) this.client.transport.avoid(s.endpoint);
      this.lost(
        new EtcdError("E_ETCD_TIMEOUT", `watch on ${s?.endpoint ?? "?"} silent for ${this.opts.idleMs ?? 10_000}ms`),
      );
    }, this.opts.idleMs ?? 10_000);
  }

  private lost(why: EtcdError): void {
    if (this.closed) return;
    this.stream = undefined;
    clearTimeout(this.idle);
    this.opts.onState?.(false, why);
    this.retry = setTimeout(() => {
      this.reconnects++;
      this.connect();
    }, this.opts.retryMs ?? 200);
  }

  private finish(why: EtcdError): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.idle);
    clearTimeout(this.retry);
    this.stream = undefined;
    this.opts.onState?.(false, why);
    this.opts.onEnd?.(why);
  }
}
