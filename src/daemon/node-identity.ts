// Which configured node this process is: `--node NAME`, or the one node whose address is local.
import { networkInterfaces } from "node:os";
import type { Config } from "../core/config/schema.js";
import { parseNodeAddress, type Endpoint } from "../core/net/address.js";
import type { LinkedNode } from "../adapters/udp-transport.js";

/** A node's links as endpoints, in order: `address`, then `links`. */
export function linksOf(config: Config, name: string): LinkedNode {
  const n = config.nodes.find((x) => x.name === name);
  if (!n) throw new Error(`no node named "${name}"`);
  const links = [n.address, ...n.links].map((a) => parseNodeAddress(a, config.cluster.port) as Endpoint);
  return { name, links };
}

/** Picks this process's node; throws with a message that says what to do. */
export function pickNode(config: Config, requested: string | undefined): string {
  const names = config.nodes.map((n) => n.name);
  if (requested !== undefined) {
    if (!names.includes(requested))
      throw new Error(`--node ${requested}: no such node in the config (nodes: ${names.join(", ")})`);
    return requested;
  }
  const local = new Set(Object.values(networkInterfaces()).flatMap((l) => (l ?? []).map((a) => a.address)));
  const mine = config.nodes.filter((n) => linksOf(config, n.name).links.some((e) => local.has(e.ip.text)));
  if (mine.length === 1 && mine[0]) return mine[0].name;
  if (mine.length === 0)
    throw new Error(
      `none of the configured node addresses is on this host; say which node this is with --node (${names.join(", ")})`,
    );
  throw new Error(
    `several nodes have addresses on this host (${mine.map((n) => n.name).join(", ")}); say which with --node`,
  );
}
