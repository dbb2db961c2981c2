// One kernel-forwarded virtual server (forward: nat | fullnat) on this node: health checks always (so a
// new owner knows at once which servers are up), and while this node serves it an nftables table that
// DNATs new flows to the real servers. Every change is one nft transaction, applied one at a time; a
// transaction that fails is retried as a fresh install, and if that fails too the virtual server stops
// counting as served (its group's monitor fails), never half-written.
import type { Logger } from "../adapters/logger.js";
import {
  conntrackDelete,
  conntrackFlows,
  conntrackForgetUnforwarded,
  forwardingEnabled,
  nftApply,
  nftList,
} from "../adapters/nftables.js";
import {
  installCommands,
  nftFamily,
  readCounters,
  removeCommands,
  serverId,
  tableName,
  updateCommands,
  eligible,
  type KernelSpec,
  type ServerCounters,
} from "../core/balancer/kernel-ruleset.js";
import { KernelServers, type KernelEntry } from "../core/balancer/kernel-servers.js";
import type { VirtualServerStatus } from "../core/balancer/status.js";
import type { VirtualServerConfig } from "../core/config/schema.js";
import type { HealthFactory, HealthSource } from "./virtual-server.js";

/** How often counters and conntrack are read while serving (and draining servers checked). */
const POLL_MS = 2000;

/** A virtual server forwarded by nftables. */
export class KernelVirtualServer {
  private servers: KernelServers;
  private health: HealthSource;
  private log: Logger;
  /** What the kernel holds now (undefined: no table). */
  private installed: KernelSpec | undefined;
  /** Why the table could not be kept (the virtual server is then not served). */
  private failure: string | undefined;
  private queue: Promise<void> = Promise.resolve();
  private poller: NodeJS.Timeout | undefined;
  private counters = new Map<string, ServerCounters>();
  private sorryFlows = 0;
  private flows = new Map<string, number>();
  private polling = false;

  constructor(
    private config: VirtualServerConfig,
    /** The group whose owner serves it, if any. */
    readonly group: string | undefined,
    log: Logger,
    private makeHealth: HealthFactory,
  ) {
    this.log = log.child({ virtualServer: config.name });
    this.servers = new KernelServers(config);
    this.health = makeHealth(config, (address, up) => this.onHealth(address, up));
  }

  get name(): string {
    return this.config.name;
  }

  /** True while the table is in the kernel and up to date. */
  get serving(): boolean {
    return this.installed !== undefined && this.failure === undefined;
  }

  /** Runs `step` after every earlier change (one transaction at a time). */
  private enqueue(step: () => Promise<void>): Promise<void> {
    const next = this.queue.then(step);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private onHealth(address: string, up: boolean): void {
    const noneBefore = !this.servers.list().some(eligible);
    const effect = this.servers.setHealth(address, up);
    if (!effect.changed) return;
    this.log[effect.dropFlows ? "warn" : "debug"]({ realServer: address, up }, `${this.config.name}: ${effect.reason}`);
    const noneNow = !this.servers.list().some(eligible);
    if (noneBefore !== noneNow && this.config.sorry_server)
      this.log.warn(
        `${this.config.name}: ${noneNow ? `no real server available; sorry server ${this.config.sorry_server} takes new flows` : "a real server is available again; sorry server takes no new flows"}`,
      );
    void this.enqueue(async () => {
      await this.sync();
      const e = this.servers.list().find((s) => s.address === address);
      if (effect.dropFlows && e && this.installed) {
        const n = await conntrackDelete(this.flowQuery(), e.ip, e.port).catch((err: Error) => {
          this.log.error({ realServer: address }, `${this.config.name}: ${err.message}`);
          return 0;
        });
        if (n > 0) this.log.info({ realServer: address }, `${this.config.name}: deleted ${n} flows of ${address}`);
      }
    });
  }

  private flowQuery() {
    const s = this.servers.spec();
    return { protocol: s.protocol, family: s.family, vip: s.vip, port: s.port };
  }

  /** Brings the kernel in line with the servers' state (when a table is installed). */
  private async sync(): Promise<void> {
    if (!this.installed) return;
    const next = this.servers.spec();
    try {
      await nftApply(updateCommands(this.installed, next));
      this.installed = next;
      this.failure = undefined;
    } catch (err) {
      this.log.warn(`${this.config.name}: ${(err as Error).message}; reinstalling the table`);
      try {
        await nftApply(installCommands(next));
        this.installed = next;
        this.failure = undefined;
      } catch (again) {
        this.failure = (again as Error).message;
        this.log.error(`${this.config.name}: ${this.failure}; not forwarding reliably, the group's monitor fails`);
      }
    }
  }

  /** Starts the health checks. */
  start(): void {
    this.health.start();
  }

  /** Installs the table (the VIP is up by now: the group's listener is its last resource). */
  serve(): Promise<void> {
    return this.enqueue(async () => {
      const spec = this.servers.spec();
      if (!(await forwardingEnabled(spec.family)))
        throw new Error(
          `IPv${spec.family} forwarding is off on this node: run sysctl -w ${spec.family === 4 ? "net.ipv4.ip_forward=1" : "net.ipv6.conf.all.forwarding=1"} (and set it in /etc/sysctl.d)`,
        );
      await nftApply(installCommands(spec));
      this.installed = spec;
      this.failure = undefined;
      this.startPolling();
      const stray = await conntrackForgetUnforwarded(this.flowQuery(), [
        ...spec.servers,
        ...(spec.sorry ? [spec.sorry] : []),
      ]).catch((err: Error) => {
        this.log.warn(`${this.config.name}: ${err.message}`);
        return 0;
      });
      if (stray > 0) this.log.info(`${this.config.name}: forgot ${stray} flows tracked before the table was in place`);
      this.log.info(
        `${this.config.name}: forwarding ${spec.protocol} ${this.config.listen} in the kernel (${spec.forward}, ${spec.scheduler}, table ${nftFamily(spec)} ${tableName(spec.name)})`,
      );
    });
  }

  /** Removes the table (before the VIP goes). Rejects when nft could not remove it. */
  unserve(): Promise<void> {
    return this.enqueue(async () => {
      this.stopPolling();
      if (!this.installed) return;
      const spec = this.installed;
      await nftApply(removeCommands(spec)).catch(async (err: Error) => {
        // Gone already (someone flushed the ruleset) is what we wanted; anything else fails the stop.
        const tables = JSON.stringify(await nftList("tables").catch(() => ({})));
        if (tables.includes(`"${tableName(spec.name)}"`)) throw err;
      });
      this.installed = undefined;
      this.failure = undefined;
      this.log.info(`${this.config.name}: stopped forwarding ${this.config.listen}`);
    });
  }

  private startPolling(): void {
    this.stopPolling();
    this.poller = setInterval(() => void this.poll(), POLL_MS);
    this.poller.unref();
  }

  private stopPolling(): void {
    if (this.poller) clearInterval(this.poller);
    this.poller = undefined;
  }

  /** Reads counters and open flows; a draining server with no flow left is removed. */
  private async poll(): Promise<void> {
    if (this.polling || !this.installed) return;
    this.polling = true;
    try {
      const spec = this.installed;
      const [listing, flows] = await Promise.all([
        nftList("counters", "table", nftFamily(spec), tableName(spec.name)),
        conntrackFlows(this.flowQuery()),
      ]);
      const read = readCounters(listing);
      for (const [id, c] of read.servers) this.counters.set(id, c);
      this.sorryFlows = read.sorry;
      this.flows = flows;
      const gone = this.servers.list().filter((e) => e.draining && (flows.get(this.flowKey(e)) ?? 0) === 0);
      if (gone.length > 0)
        await this.enqueue(async () => {
          for (const e of gone)
            if (this.servers.drained(e.address)) this.log.info(`${this.config.name}: ${e.address} drained and removed`);
          await this.sync();
        });
    } catch (err) {
      this.log.debug(`${this.config.name}: reading counters failed: ${(err as Error).message}`);
      await this.restoreIfGone();
    } finally {
      this.polling = false;
    }
  }

  /** Puts the table back when it vanished from the kernel while served (someone flushed the ruleset or
   * deleted it); if that fails, the virtual server is not served and the group's monitor fails. */
  private async restoreIfGone(): Promise<void> {
    const spec = this.installed;
    if (!spec) return;
    const tables = JSON.stringify(await nftList("tables").catch(() => undefined));
    if (tables === undefined || tables.includes(`"${tableName(spec.name)}"`)) return;
    this.log.warn(
      `${this.config.name}: its nftables table ${tableName(spec.name)} is gone from the kernel; installing it again`,
    );
    await this.enqueue(async () => {
      if (this.installed !== spec) return;
      try {
        await nftApply(installCommands(spec));
        this.failure = undefined;
        this.log.info(`${this.config.name}: nftables table ${tableName(spec.name)} installed again`);
      } catch (err) {
        this.failure = `its nftables table vanished and could not be installed again: ${(err as Error).message}`;
        this.log.error(`${this.config.name}: ${this.failure}; the group's monitor fails`);
      }
    });
  }

  private flowKey(e: { ip: string; port: number }): string {
    return e.ip.includes(":") ? `[${e.ip}]:${e.port}` : `${e.ip}:${e.port}`;
  }

  /** Applies a reloaded config of the same virtual server (same listen, forward and protocol). */
  reconfigure(config: VirtualServerConfig): Promise<void> {
    const checkChanged = JSON.stringify(config.check) !== JSON.stringify(this.config.check);
    this.config = config;
    const draining = this.servers.setConfig(config);
    if (!this.installed) for (const a of draining) this.servers.drained(a);
    if (checkChanged) {
      this.health.stop();
      for (const e of this.servers.list()) this.servers.setHealth(e.address, true);
      this.health = this.makeHealth(config, (address, up) => this.onHealth(address, up));
      this.health.start();
    } else this.health.setServers(this.servers.list().map((e) => e.address));
    return this.enqueue(() => this.sync());
  }

  /** Stops checks and removes the table. */
  async stop(): Promise<void> {
    this.health.stop();
    await this.unserve();
  }

  /** This virtual server as status shows it: flows from conntrack, counts and bytes from nftables. */
  status(): VirtualServerStatus {
    const rows = this.servers.list().map((e: KernelEntry) => {
      const h = this.health.state(e.address);
      const c = this.counters.get(serverId(e));
      return {
        address: e.address,
        weight: e.weight,
        effectiveWeight: eligible(e) ? e.weight : 0,
        up: e.up,
        detail: h?.detail ?? "not checked yet",
        ...(h?.latencyMs !== undefined ? { latencyMs: h.latencyMs } : {}),
        active: this.flows.get(this.flowKey(e)) ?? 0,
        total: c?.flows ?? 0,
        ...(e.draining ? { draining: true } : {}),
        bytesIn: c?.bytesIn ?? 0,
        bytesOut: c?.bytesOut ?? 0,
      };
    });
    const sum = (f: (r: (typeof rows)[number]) => number) => rows.reduce((a, r) => a + f(r), 0);
    const sorry = this.config.sorry_server;
    const sorryEp = sorry ? this.servers.spec().sorry : undefined;
    return {
      name: this.config.name,
      listen: this.config.listen,
      scheduler: this.config.scheduler,
      forward: this.config.forward,
      protocol: this.config.protocol,
      ...(this.group ? { group: this.group } : {}),
      serving: this.serving,
      active: sum((r) => r.active),
      total: sum((r) => r.total) + this.sorryFlows,
      refused: 0,
      bytesIn: sum((r) => r.bytesIn),
      bytesOut: sum((r) => r.bytesOut),
      realServers: rows,
      ...(sorry && sorryEp
        ? {
            sorry: {
              address: sorry,
              inUse: !this.servers.list().some(eligible),
              active: this.flows.get(this.flowKey(sorryEp)) ?? 0,
            },
          }
        : {}),
    };
  }
}
