// The resources of configured groups as the daemon drives them: agents with their monitor intervals,
// and the virtual IPs the VIP guard must cover.
import { createAgent, virtualAddressOf } from "../adapters/resources/agent.js";
import type { ResourceAgent } from "../adapters/resources/resource-agent.js";
import type { Config, ResourceConfig } from "../core/config/schema.js";
import { guardSilence } from "../core/cluster/spec.js";
import type { GuardConfig } from "./guard-protocol.js";
import type { ManagedResource } from "./group-runner.js";
import type { NotifyCommand } from "./notifier.js";

type GroupConfig = Config["groups"][number];

/** The agents of one group's resources, in order, with their monitor intervals; `listener` (the
 * group's virtual servers) comes last, so they listen only once the VIP is up and stop before it goes.
 * `owner` ("CLUSTER/NODE") goes into the tag of every process the agents start. */
export function resourcesOf(
  g: GroupConfig,
  listener: (group: string) => ResourceAgent,
  owner: string,
): ManagedResource[] {
  return [
    ...g.resources.map((r, ri) => ({
      agent: createAgent(r, `${g.name}-${ri}`, owner),
      monitorEveryMs: ("monitor" in r && r.monitor?.interval) || 0,
    })),
    { agent: listener(g.name), monitorEveryMs: 0 },
  ];
}

/** The agents of every group. */
export function agentsFor(
  config: Config,
  listener: (group: string) => ResourceAgent,
  owner: string,
): Map<string, ManagedResource[]> {
  return new Map(config.groups.map((g) => [g.name, resourcesOf(g, listener, owner)]));
}

/** Per group, its virtual IPs as [address, interface] (vip resources and ocf IPaddr2). */
export function vipsOf(config: Config): Record<string, [string, string][]> {
  return Object.fromEntries(
    config.groups.map((g) => [g.name, g.resources.map(virtualAddressOf).filter((a) => a !== undefined)]),
  );
}

/** Per group with a notify script, how this node calls it. */
export function notifyScriptsOf(config: Config, node: string): Map<string, NotifyCommand> {
  const priority = config.nodes.find((n) => n.name === node)?.priority ?? 0;
  return new Map(
    config.groups.flatMap((g) => {
      if (!g.notify) return [];
      const n = typeof g.notify === "string" ? { path: g.notify, args: [], convention: "vigil" as const } : g.notify;
      const command: NotifyCommand = {
        path: n.path,
        args: n.args,
        convention: n.convention,
        type: ("type" in n ? n.type : undefined) ?? "INSTANCE",
        name: ("name" in n ? n.name : undefined) ?? g.name,
        priority,
      };
      return [[g.name, command] as const];
    }),
  );
}

/** What the guard needs to stop this node's groups by itself; `previous`: the config before a reload,
 * whose removed or changed groups may still be covered, so their old resources are kept too. */
export function guardConfigOf(config: Config, owner: string, previous?: Config): GuardConfig {
  const groups: Record<string, ResourceConfig[]> = {};
  for (const g of previous?.groups ?? []) groups[g.name] = g.resources;
  for (const g of config.groups) groups[g.name] = [...g.resources, ...(groups[g.name] ?? []).slice(g.resources.length)];
  return {
    owner,
    silenceMs: guardSilence(config.cluster.heartbeat.interval),
    lastResort: config.cluster.last_resort ?? null,
    groups,
  };
}
