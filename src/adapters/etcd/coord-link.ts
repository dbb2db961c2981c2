// Carries the etcd coordination core's requests (coord-wire.ts) to a real etcd over the JSON gateway and
// hands each answer back as a message from "etcd". Every failure is an answer too (its stable code), so
// the core never waits on a request that silently vanished; a request still running when the link closes
// is answered by nothing (the core gives it up after its own timeout).
import type { EtcdAnswer, EtcdRequest, EtcdWire } from "../../core/etcd/coord-wire.js";
import type { EtcdClient } from "./client.js";
import { EtcdError } from "./errors.js";

/** Request counters and the last round trips, for status. */
export interface EtcdLinkStats {
  requests: number;
  failures: Record<string, number>;
  /** Round trip of the last keepalive that etcd answered, ms. */
  lastKeepaliveMs?: number;
  /** The endpoint that answered last. */
  endpoint: string;
}

/** The core's link to etcd. */
export class EtcdCoordLink {
  private closed = false;
  readonly stats: EtcdLinkStats;

  /** `keepaliveTimeoutMs`: the time limit of one keepalive attempt at one endpoint, shorter than other
   * requests' (a healthy member answers in milliseconds; a frozen one must not cost the session). */
  constructor(
    private client: EtcdClient,
    private deliver: (msg: EtcdWire) => void,
    private keepaliveTimeoutMs: number,
    private clock: () => number = () => performance.now(),
  ) {
    this.stats = { requests: 0, failures: {}, endpoint: client.transport.preferred };
  }

  /** Sends one request; its answer (or failure) comes back through `deliver`. */
  send(msg: EtcdWire): void {
    if (msg.t !== "req" || this.closed) return;
    const { id, req } = msg;
    const started = this.clock();
    this.stats.requests++;
    this.call(req).then(
      (answer) => {
        if (this.closed) return;
        if (req.op === "keepalive") this.stats.lastKeepaliveMs = Math.round(this.clock() - started);
        this.stats.endpoint = this.client.transport.preferred;
        this.deliver({ t: "ok", id, answer });
      },
      (err: unknown) => {
        if (this.closed) return;
        const e =
          err instanceof EtcdError ? err : new EtcdError("E_ETCD_PROTOCOL", (err as Error).message ?? String(err));
        this.stats.failures[e.code] = (this.stats.failures[e.code] ?? 0) + 1;
        this.deliver({ t: "err", id, code: e.code, message: e.detail });
      },
    );
  }

  private async call(req: EtcdRequest): Promise<EtcdAnswer> {
    switch (req.op) {
      case "grant": {
        const g = await this.client.leaseGrant(req.ttlSeconds);
        return { op: "grant", lease: g.id, ttlSeconds: g.ttlSeconds };
      }
      case "keepalive":
        try {
          return {
            op: "keepalive",
            ttlSeconds: (await this.client.leaseKeepAlive(req.lease, this.keepaliveTimeoutMs)).ttlSeconds,
          };
        } catch (err) {
          if (err instanceof EtcdError && err.code === "E_ETCD_LEASE_LOST") return { op: "keepalive", ttlSeconds: 0 };
          throw err;
        }
      case "txn":
        return { op: "txn", result: await this.client.txn(req.txn) };
      case "range":
        return { op: "range", result: await this.client.range(req.range) };
    }
  }

  close(): void {
    this.closed = true;
    this.client.close();
  }
}
