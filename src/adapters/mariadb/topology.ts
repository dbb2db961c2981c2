// Which nodes run a database replica and where to reach them: every non-witness node, with its host (the
// node's first address) and a unique server_id (its place in the config, from 1). Set once by the daemon;
// the mariadb agents and the replica keeper read it.
import type { Config } from "../../core/config/schema.js";
import { parseNodeAddress } from "../../core/net/address.js";

/** One node's database server as the others reach it. */
export interface DbNode {
  name: string;
  host: string;
  serverId: number;
}

/** This node and every node that runs a replica. */
export interface DbTopology {
  self: string;
  nodes: DbNode[];
  /** Where promotion progress (waits, catch-ups) is told. */
  log: (message: string) => void;
}

/** The topology of `config` seen from node `self`. */
export function topologyOf(config: Config, self: string, log: (message: string) => void): DbTopology {
  return {
    self,
    log,
    nodes: config.nodes.flatMap((n, i) =>
      n.witness ? [] : [{ name: n.name, host: parseNodeAddress(n.address, 0)?.ip.text ?? n.address, serverId: i + 1 }],
    ),
  };
}

let current: DbTopology | undefined;

/** Sets this process's topology (the daemon, at start and reload). */
export function setDbTopology(t: DbTopology): void {
  current = t;
}

/** This process's topology, when the daemon set one (the guard has none: it only stops). */
export function dbTopology(): DbTopology | undefined {
  return current;
}

/** `config` with `{node}` in datadir and socket replaced by the node's name (several nodes on one
 * machine, as in tests and demos; the same path everywhere needs no placeholder). */
export function forNode<T extends { datadir: string; socket: string }>(config: T, node: string): T {
  return {
    ...config,
    datadir: config.datadir.replaceAll("{node}", node),
    socket: config.socket.replaceAll("{node}", node),
  };
}

/** The node name inside a resource tag "CLUSTER/NODE/GROUP-INDEX". */
export function nodeOfTag(tag: string): string {
  return tag.split("/")[1] ?? "";
}
