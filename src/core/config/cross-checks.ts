// Rules that span several keys: uniqueness, references between sections, timer sanity and quorum shape.
import { formatEndpoint, parseNodeAddress } from "../net/address.js";
import type { ConfigIssue } from "./issues.js";
import { checkTrackAndClone } from "./track-checks.js";
import { checkMariadb } from "./mariadb-checks.js";
import { checkVirtualServers } from "./virtual-server-checks.js";
import type { Config, GroupConfig, NodeConfig, VirtualServerConfig } from "./schema.js";

/** What cross-field rules look at: every section item that passed the schema on its own, at its own
 * index (undefined where the item itself is invalid), so these rules run even when others failed. */
export interface PartialConfig {
  cluster: Partial<Pick<Config["cluster"], "port" | "heartbeat" | "quorum">> & { twoNodeOnly?: string[] };
  nodes: (NodeConfig | undefined)[];
  groups: (GroupConfig | undefined)[];
  virtual_servers: (VirtualServerConfig | undefined)[];
}

/** Smallest allowed lease / interval ratio: a lease must survive a few lost heartbeats. */
export const MIN_LEASE_INTERVALS = 3;

/** Returns every cross-field problem of an otherwise schema-valid config. */
export function checkCrossFields(config: PartialConfig): ConfigIssue[] {
  return [
    ...uniqueness(config),
    ...timing(config),
    ...quorum(config),
    ...references(config),
    ...checkVirtualServers(config.virtual_servers, config.groups),
    ...checkTrackAndClone(config.groups, config.virtual_servers),
    ...checkMariadb(config.groups),
  ];
}

function duplicates<T>(
  items: readonly (T | undefined)[],
  keyOf: (item: T) => string[],
  report: (index: number, key: string, first: number) => ConfigIssue,
): ConfigIssue[] {
  const seen = new Map<string, number>();
  const issues: ConfigIssue[] = [];
  items.forEach((item, i) => {
    if (item === undefined) return;
    for (const key of keyOf(item)) {
      const first = seen.get(key);
      if (first !== undefined && first !== i) issues.push(report(i, key, first));
      else seen.set(key, i);
    }
  });
  return issues;
}

function uniqueness(config: PartialConfig): ConfigIssue[] {
  const port = config.cluster.port ?? 5405;
  const endpoints = (n: NodeConfig) =>
    [n.address, ...n.links].map((a) => {
      const e = parseNodeAddress(a, port);
      return e ? formatEndpoint(e) : a;
    });
  return [
    ...duplicates(
      config.nodes,
      (n) => [n.name],
      (i, key, first) => ({
        code: "E_DUPLICATE",
        path: ["nodes", i, "name"],
        message: `node name "${key}" is already used by nodes[${first}]`,
      }),
    ),
    ...duplicates(config.nodes, endpoints, (i, key, first) => ({
      code: "E_DUPLICATE",
      path: ["nodes", i, "address"],
      message: `address ${key} is already used by nodes[${first}]; every node needs its own address and port`,
    })),
    ...duplicates(
      config.groups,
      (g) => [g.name],
      (i, key, first) => ({
        code: "E_DUPLICATE",
        path: ["groups", i, "name"],
        message: `group name "${key}" is already used by groups[${first}]`,
      }),
    ),
    ...duplicates(
      config.virtual_servers,
      (v) => [v.name],
      (i, key, first) => ({
        code: "E_DUPLICATE",
        path: ["virtual_servers", i, "name"],
        message: `virtual server name "${key}" is already used by virtual_servers[${first}]`,
      }),
    ),
    ...duplicates(
      config.virtual_servers,
      (v) => [v.listen],
      (i, key, first) => ({
        code: "E_DUPLICATE",
        path: ["virtual_servers", i, "listen"],
        message: `listen address ${key} is already used by virtual_servers[${first}]`,
      }),
    ),
  ];
}

function timing(config: PartialConfig): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  if (!config.cluster.heartbeat) return issues;
  const { interval, lease } = config.cluster.heartbeat;
  if (interval < 1)
    issues.push({
      code: "E_TIMING",
      path: ["cluster", "heartbeat", "interval"],
      message: "expected an interval of at least 1ms",
    });
  if (lease < MIN_LEASE_INTERVALS * interval) {
    issues.push({
      code: "E_TIMING",
      path: ["cluster", "heartbeat", "lease"],
      message: `lease ${lease}ms must be at least ${MIN_LEASE_INTERVALS} × interval (${MIN_LEASE_INTERVALS * interval}ms), or one late heartbeat causes a failover`,
    });
  }
  return issues;
}

function quorum(config: PartialConfig): ConfigIssue[] {
  const nodes = config.nodes.filter((n): n is NodeConfig => n !== undefined);
  const mode = config.cluster.quorum;
  if (nodes.length !== config.nodes.length || mode === undefined) return [];
  const voters = nodes.filter((n) => n.votes > 0);
  const totalVotes = voters.reduce((sum, n) => sum + n.votes, 0);
  const issues: ConfigIssue[] = [];
  if (totalVotes === 0)
    issues.push({ code: "E_QUORUM", path: ["nodes"], message: "no node has votes; at least one node must vote" });
  if (mode === "majority" && voters.length === 2) {
    issues.push({
      code: "E_QUORUM",
      path: ["cluster", "quorum"],
      message:
        "a majority cluster of exactly two voting nodes stops when either fails; add a witness node (witness: true) or set quorum: two_node",
    });
  }
  for (const key of config.cluster.twoNodeOnly ?? []) {
    if (mode !== "two_node")
      issues.push({ code: "E_QUORUM", path: ["cluster", key], message: `${key} applies only to quorum: two_node` });
  }
  if (mode === "two_node" && voters.length !== 2) {
    issues.push({
      code: "E_QUORUM",
      path: ["cluster", "quorum"],
      message: `quorum: two_node needs exactly two voting nodes, found ${voters.length}`,
    });
  }
  if (config.groups.length > 0 && !nodes.some((n) => !n.witness)) {
    issues.push({
      code: "E_REFERENCE",
      path: ["nodes"],
      message: "groups are configured but every node is a witness; a witness runs no groups",
    });
  }
  return issues;
}

function references(config: PartialConfig): ConfigIssue[] {
  if (config.nodes.some((n) => n === undefined)) return [];
  const byName = new Map(config.nodes.map((n) => [n?.name, n]));
  const issues: ConfigIssue[] = [];
  config.groups.forEach((g, gi) => {
    g?.prefer.forEach((nodeName, pi) => {
      const node = byName.get(nodeName);
      const path = ["groups", gi, "prefer", pi];
      if (!node)
        issues.push({
          code: "E_REFERENCE",
          path,
          message: `no node named "${nodeName}" (nodes: ${[...byName.keys()].join(", ")})`,
        });
      else if (node.witness)
        issues.push({
          code: "E_REFERENCE",
          path,
          message: `"${nodeName}" is a witness; a witness votes but runs no groups`,
        });
    });
  });
  return issues;
}
