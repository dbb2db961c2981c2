// The virtual servers of this node, tied to the cluster: a virtual server that belongs to a group is
// served by that group's owner (each group's last resource is its listener, so it starts after the
// VIP is up and stops before the VIP goes); one without a group is served on every node. A reload
// adds, removes and changes virtual servers without touching the others.
import type { Logger } from "../adapters/logger.js";
import type { MonitorResult, OpResult, ResourceAgent } from "../adapters/resources/resource-agent.js";
import { KernelVirtualServer } from "../balancer/kernel-virtual-server.js";
import { VirtualServer, type HealthFactory } from "../balancer/virtual-server.js";
import { nftApply, nftList } from "../adapters/nftables.js";
import { staleTables } from "../core/balancer/kernel-ruleset.js";
import type { VirtualServerStatus } from "../core/balancer/status.js";
import type { Config, VirtualServerConfig } from "../core/config/schema.js";
import { servingGroup } from "../core/config/virtual-server-checks.js";

/** A virtual server of either kind: the userspace proxy or nftables forwarding. */
type AnyVirtualServer = VirtualServer | KernelVirtualServer;

function makeVirtualServer(
  c: VirtualServerConfig,
  group: string | undefined,
  log: Logger,
  makeHealth: HealthFactory,
): AnyVirtualServer {
  return c.forward === "proxy"
    ? new VirtualServer(c, group, log, makeHealth)
    : new KernelVirtualServer(c, group, log, makeHealth);
}

/** A group's last resource: makes this node listen for the group's virtual servers (whichever are
 * configured when it starts). With none configured it does nothing and says nothing. */
class GroupListener implements ResourceAgent {
  private up = false;

  constructor(
    private group: string,
    private servers: () => AnyVirtualServer[],
  ) {}

  get description(): string {
    return `virtual servers of ${this.group}`;
  }

  private mine(): AnyVirtualServer[] {
    return this.servers().filter((vs) => vs.group === this.group);
  }

  /** Whether the group is up here (its listeners should be open). */
  get serving(): boolean {
    return this.up;
  }

  async start(): Promise<OpResult> {
    this.up = true;
    const names: string[] = [];
    for (const vs of this.mine()) {
      try {
        await vs.serve();
        names.push(vs.name);
      } catch (err) {
        return { ok: false, detail: `virtual server ${vs.name}: ${(err as Error).message}` };
      }
    }
    return { ok: true, detail: names.length ? `listening for virtual servers ${names.join(", ")}` : "" };
  }

  async stop(): Promise<OpResult> {
    this.up = false;
    const mine = this.mine();
    const failed = (await Promise.allSettled(mine.map((vs) => vs.unserve()))).flatMap((r, i) =>
      r.status === "rejected" ? [`virtual server ${mine[i]?.name}: ${(r.reason as Error).message}`] : [],
    );
    if (failed.length > 0) return { ok: false, detail: failed.join("; ") };
    return {
      ok: true,
      detail: mine.length ? `stopped listening for virtual servers ${mine.map((v) => v.name).join(", ")}` : "",
    };
  }

  /** The listeners are in this process: closing them is all a kill can do. */
  kill(): Promise<OpResult> {
    return this.stop();
  }

  monitor(): Promise<MonitorResult> {
    const down = this.mine().filter((vs) => !vs.serving);
    return Promise.resolve(
      down.length
        ? { state: "failed", detail: `not listening for ${down.map((v) => v.name).join(", ")}` }
        : { state: "running", detail: "" },
    );
  }
}

/** Every virtual server of the config on this node. */
export class VirtualServers {
  private servers = new Map<string, { vs: AnyVirtualServer; config: VirtualServerConfig }>();
  private listeners = new Map<string, GroupListener>();

  constructor(
    config: Config,
    private log: Logger,
    private makeHealth: HealthFactory,
  ) {
    for (const c of config.virtual_servers)
      this.servers.set(c.name, {
        vs: makeVirtualServer(c, servingGroup(c, config.groups), log, makeHealth),
        config: c,
      });
  }

  private all(): AnyVirtualServer[] {
    return [...this.servers.values()].map((e) => e.vs);
  }

  /** The listener resource of `group` (one per group, kept across reloads). */
  listenerOf(group: string): ResourceAgent {
    let l = this.listeners.get(group);
    if (!l) this.listeners.set(group, (l = new GroupListener(group, () => this.all())));
    return l;
  }

  /** Whether this node should be listening for `vs` now. */
  private shouldServe(vs: AnyVirtualServer): boolean {
    return vs.group === undefined || (this.listeners.get(vs.group)?.serving ?? false);
  }

  /** Starts every health check, and listens for the virtual servers that belong to no group. */
  async start(): Promise<void> {
    await this.removeStaleTables();
    for (const vs of this.all()) vs.start();
    for (const vs of this.all()) if (vs.group === undefined) await vs.serve();
  }

  /** Removes the nftables tables a previous vigil left (name prefix vigil_), before anything is served;
   * tables of other programs are never touched. Without nft that matters only if a virtual server
   * forwards in the kernel, and its start then says why. */
  private async removeStaleTables(): Promise<void> {
    let stale: { family: string; name: string }[];
    try {
      stale = staleTables(await nftList("tables"));
    } catch (err) {
      if (this.all().some((vs) => vs instanceof KernelVirtualServer))
        this.log.error(`cannot list nftables tables: ${(err as Error).message}`);
      return;
    }
    if (stale.length === 0) return;
    try {
      await nftApply(stale.map((t) => ({ delete: { table: t } })));
      this.log.info(`removed stale nftables tables ${stale.map((t) => `${t.family} ${t.name}`).join(", ")}`);
    } catch (err) {
      this.log.error(`cannot remove stale nftables tables: ${(err as Error).message}`);
    }
  }

  /** Applies a reloaded config: new virtual servers start (and listen if their group runs here),
   * removed ones stop, changed ones are updated in place (real servers removed drain) unless their
   * listen address or group changed, which replaces them. Returns phrases for the reload summary. */
  async apply(next: Config): Promise<string[]> {
    const done: string[] = [];
    for (const [name, e] of this.servers) {
      if (next.virtual_servers.some((c) => c.name === name)) continue;
      await e.vs.stop();
      this.servers.delete(name);
      done.push(`virtual server ${name} removed`);
    }
    for (const c of next.virtual_servers) {
      const e = this.servers.get(c.name);
      const group = servingGroup(c, next.groups);
      if (e && JSON.stringify(e.config) === JSON.stringify(c) && e.vs.group === group) continue;
      if (
        e &&
        e.config.listen === c.listen &&
        e.config.forward === c.forward &&
        e.config.protocol === c.protocol &&
        e.vs.group === group
      ) {
        await e.vs.reconfigure(c);
        e.config = c;
        done.push(`virtual server ${c.name} updated`);
        continue;
      }
      if (e) await e.vs.stop();
      const vs = makeVirtualServer(c, group, this.log, this.makeHealth);
      this.servers.set(c.name, { vs, config: c });
      vs.start();
      if (this.shouldServe(vs))
        await vs.serve().catch((err: Error) => this.log.error({ virtualServer: c.name }, err.message));
      done.push(`virtual server ${c.name} ${e ? "replaced" : "added"}`);
    }
    return done;
  }

  /** Status of every virtual server. */
  status(): VirtualServerStatus[] {
    return this.all().map((vs) => vs.status());
  }

  /** Stops checks and closes every listener and connection. */
  async stop(): Promise<void> {
    await Promise.all(this.all().map((vs) => vs.stop()));
  }
}
