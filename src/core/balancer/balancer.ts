// Where a new client connection goes: its persistent server if it has one and that server can take
// it, else the scheduler's pick among available real servers, else the sorry server while none is
// available. Pure; `now` comes from the caller.
import { PersistenceTable } from "./persistence.js";
import { Pool, type RealServerSpec } from "./pool.js";
import { Scheduler, type SchedulerKind } from "./scheduler.js";

/** How a virtual server chooses. */
export interface BalancerSpec {
  scheduler: SchedulerKind;
  /** Persistence timeout in ms (absent: none). */
  persistenceMs?: number;
  quiescent: boolean;
  /** IP:PORT used only while no real server is available. */
  sorryServer?: string;
  realServers: readonly RealServerSpec[];
}

/** Where one connection attempt goes. */
export interface Choice {
  address: string;
  /** True when this is the sorry server. */
  sorry: boolean;
}

/** The choosing half of a virtual server; the proxy adapter reports connections back to it. */
export class Balancer {
  readonly pool: Pool;
  private scheduler: Scheduler;
  private persistence: PersistenceTable | undefined;

  constructor(private spec: BalancerSpec) {
    this.pool = new Pool(spec.realServers, spec.quiescent);
    this.scheduler = new Scheduler(spec.scheduler);
    this.persistence = spec.persistenceMs ? new PersistenceTable(spec.persistenceMs) : undefined;
  }

  /** The server for a connection from `clientIp`, skipping servers already `tried` for it;
   * undefined when nothing is left to try. */
  choose(clientIp: string, now: number, tried: ReadonlySet<string>): Choice | undefined {
    if (this.pool.noneAvailable()) {
      const sorry = this.spec.sorryServer;
      return sorry && !tried.has(sorry) ? { address: sorry, sorry: true } : undefined;
    }
    const bound = this.persistence?.lookup(clientIp, now);
    if (bound && !tried.has(bound) && this.pool.eligible(bound)) return { address: bound, sorry: false };
    const c = this.scheduler.pick(this.pool.candidates(), clientIp, tried);
    return c ? { address: c.address, sorry: false } : undefined;
  }

  /** A connection to a real server (not the sorry server) was established. */
  opened(clientIp: string, address: string, now: number): void {
    this.pool.opened(address);
    this.persistence?.opened(clientIp, address, now);
  }

  /** That connection closed; true when it emptied a draining server, which is now gone. */
  closed(clientIp: string, address: string, now: number): boolean {
    this.persistence?.closed(clientIp, address, now);
    return this.pool.closed(address);
  }

  /** A health transition of a real server; a server going down loses its persistent clients. */
  setHealth(address: string, up: boolean): ReturnType<Pool["setHealth"]> {
    if (!up) this.persistence?.forget(address);
    return this.pool.setHealth(address, up);
  }

  /** Applies a reloaded spec (servers drain when removed); the scheduler and persistence restart
   * only if their settings changed. */
  reconfigure(spec: BalancerSpec): string[] {
    if (spec.scheduler !== this.spec.scheduler) this.scheduler = new Scheduler(spec.scheduler);
    if (spec.persistenceMs !== this.spec.persistenceMs)
      this.persistence = spec.persistenceMs ? new PersistenceTable(spec.persistenceMs) : undefined;
    this.pool.setQuiescent(spec.quiescent);
    this.spec = spec;
    return this.pool.setServers(spec.realServers);
  }
}
