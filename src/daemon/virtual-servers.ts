// The virtual servers of this node, tied to the cluster: a virtual server that belongs to a group is
// served by that group's owner (its listener is the group's last resource, so it starts after the
// VIP is up and stops before the VIP goes); one without a group is served on every node.
import type { Logger } from "../adapters/logger.js";
import type { MonitorResult, OpResult, ResourceAgent } from "../adapters/resources/agent.js";
import { VirtualServer, type HealthFactory } from "../balancer/virtual-server.js";
import type { VirtualServerStatus } from "../core/balancer/status.js";
import type { Config } from "../core/config/schema.js";
import { servingGroup } from "../core/config/virtual-server-checks.js";

/** A group resource that makes this node listen for a virtual server. */
class ListenerAgent implements ResourceAgent {
  readonly description: string;

  constructor(private vs: VirtualServer, listen: string) {
    this.description = `virtual server ${vs.name} on ${listen}`;
  }

  async start(): Promise<OpResult> {
    try {
      await this.vs.serve();
      return { ok: true, detail: `${this.description}: listening` };
    } catch (err) {
      return { ok: false, detail: `${this.description}: ${(err as Error).message}` };
    }
  }

  async stop(): Promise<OpResult> {
    await this.vs.unserve();
    return { ok: true, detail: `${this.description}: stopped listening` };
  }

  monitor(): Promise<MonitorResult> {
    return Promise.resolve(this.vs.proxy.listening ? { state: "running", detail: `${this.description}: listening` } : { state: "stopped", detail: `${this.description}: not listening` });
  }
}

/** Every virtual server of the config on this node. */
export class VirtualServers {
  private servers: VirtualServer[];
  private listens: Map<string, string>;

  constructor(config: Config, log: Logger, makeHealth: HealthFactory) {
    this.servers = config.virtual_servers.map((vs) => new VirtualServer(vs, servingGroup(vs, config.groups), log, makeHealth));
    this.listens = new Map(config.virtual_servers.map((vs) => [vs.name, vs.listen]));
  }

  /** The listener resources to append to `group`. */
  agentsFor(group: string): ResourceAgent[] {
    return this.servers.filter((vs) => vs.group === group).map((vs) => new ListenerAgent(vs, this.listens.get(vs.name) ?? ""));
  }

  /** Starts every health check, and listens for the virtual servers that belong to no group. */
  async start(): Promise<void> {
    for (const vs of this.servers) vs.start();
    for (const vs of this.servers) if (vs.group === undefined) await vs.serve();
  }

  /** Status of every virtual server. */
  status(): VirtualServerStatus[] {
    return this.servers.map((vs) => vs.status());
  }

  /** Stops checks and closes every listener and connection. */
  async stop(): Promise<void> {
    await Promise.all(this.servers.map((vs) => vs.stop()));
  }
}
