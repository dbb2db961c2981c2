// The real servers of one virtual server: health, weights, open connections and draining, and what
// the scheduler may choose from. Pure bookkeeping; the proxy adapter acts on what it returns.
import type { Candidate } from "./scheduler.js";
import type { RealServerStatus } from "./status.js";

/** A configured real server. */
export interface RealServerSpec {
  address: string;
  weight: number;
}

interface Entry extends RealServerSpec {
  up: boolean;
  active: number;
  total: number;
  draining: boolean;
}

/** What the proxy must do after a health change. */
export interface HealthEffect {
  /** Close the open connections to this server (it failed and the virtual server is not quiescent). */
  dropConnections: boolean;
  /** One line for the log. */
  reason: string;
}

/** The real servers of a virtual server. Servers start up; health checks decide from there. */
export class Pool {
  private entries = new Map<string, Entry>();

  constructor(
    servers: readonly RealServerSpec[],
    private quiescent: boolean,
  ) {
    this.setServers(servers);
  }

  /** Applies a new server list: new servers join, changed weights apply, removed servers drain
   * (no new connections; they leave once their last connection closes). Returns the removed ones
   * that had no connections left and are gone at once. */
  setServers(servers: readonly RealServerSpec[]): string[] {
    const wanted = new Map(servers.map((s) => [s.address, s]));
    for (const s of servers) {
      const e = this.entries.get(s.address);
      if (e) Object.assign(e, { weight: s.weight, draining: false });
      else this.entries.set(s.address, { ...s, up: true, active: 0, total: 0, draining: false });
    }
    const gone: string[] = [];
    for (const e of this.entries.values()) {
      if (wanted.has(e.address)) continue;
      e.draining = true;
      if (e.active === 0) {
        this.entries.delete(e.address);
        gone.push(e.address);
      }
    }
    return gone;
  }

  /** Records a health transition of `address`. */
  setHealth(address: string, up: boolean): HealthEffect {
    const e = this.entries.get(address);
    if (!e || e.up === up) return { dropConnections: false, reason: "" };
    e.up = up;
    if (up) return { dropConnections: false, reason: `${address} takes connections again (weight ${e.weight})` };
    if (this.quiescent)
      return {
        dropConnections: false,
        reason: `${address} gets weight 0 (quiescent); its ${e.active} open connections may finish`,
      };
    return {
      dropConnections: e.active > 0,
      reason: `${address} removed from rotation; its ${e.active} open connections are closed`,
    };
  }

  /** Changes what a failed server's open connections get (reload). */
  setQuiescent(quiescent: boolean): void {
    this.quiescent = quiescent;
  }

  /** The weight the scheduler uses for `e` now. */
  private effectiveWeight(e: Entry): number {
    return e.up && !e.draining ? e.weight : 0;
  }

  /** What the scheduler may choose from (weight 0 entries are never chosen). */
  candidates(): Candidate[] {
    const out: Candidate[] = [];
    for (const e of this.entries.values())
      out.push({ address: e.address, weight: this.effectiveWeight(e), active: e.active });
    return out;
  }

  /** Whether `address` may take a new connection (persistence re-checks its binding with this). */
  eligible(address: string): boolean {
    const e = this.entries.get(address);
    return e !== undefined && this.effectiveWeight(e) > 0;
  }

  /** True while no real server can take connections: the sorry server's time. */
  noneAvailable(): boolean {
    for (const e of this.entries.values()) if (this.effectiveWeight(e) > 0) return false;
    return true;
  }

  /** A connection to `address` opened. */
  opened(address: string): void {
    const e = this.entries.get(address);
    if (!e) return;
    e.active++;
    e.total++;
  }

  /** A connection to `address` closed; true when that was the last one of a draining server, which is now gone. */
  closed(address: string): boolean {
    const e = this.entries.get(address);
    if (!e) return false;
    e.active = Math.max(0, e.active - 1);
    if (e.draining && e.active === 0) {
      this.entries.delete(address);
      return true;
    }
    return false;
  }

  /** Addresses currently known (configured or draining). */
  addresses(): string[] {
    return [...this.entries.keys()];
  }

  /** Status rows; `health` adds the last check's words and latency. */
  status(health: (address: string) => { detail: string; latencyMs?: number } | undefined): RealServerStatus[] {
    return [...this.entries.values()].map((e) => {
      const h = health(e.address);
      return {
        address: e.address,
        weight: e.weight,
        effectiveWeight: this.effectiveWeight(e),
        up: e.up,
        detail: h?.detail ?? "not checked yet",
        ...(h?.latencyMs !== undefined ? { latencyMs: h.latencyMs } : {}),
        active: e.active,
        total: e.total,
        ...(e.draining ? { draining: true } : {}),
      };
    });
  }
}
