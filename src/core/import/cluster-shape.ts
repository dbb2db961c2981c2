// The `cluster:` and `nodes:` sections every import produces: the key file (never a copied secret),
// the timers, and the quorum mode that fits the number of nodes.
import type { Draft } from "./draft.js";

/** One imported node. `why` says where its address came from, when that is worth a comment. */
export interface ImportedNode {
  name: string;
  address: string;
  links?: string[];
  priority?: number;
  why?: string;
}

/** What the importer knows of the cluster as a whole. */
export interface ClusterShape {
  name: string;
  keyFile: string;
  /** Heartbeat timers as durations, with the reason they were chosen. */
  heartbeat?: { interval: string; lease: string; why: string };
  nodes: ImportedNode[];
}

/** Builds `cluster:` and `nodes:`; two nodes get `quorum: two_node` and a comment recommending a witness. */
export function clusterSections(d: Draft, shape: ClusterShape): Record<string, unknown> {
  const cluster: Record<string, unknown> = { name: shape.name, key_file: shape.keyFile };
  d.hint(["cluster", "key_file"], `make it with: vigil keygen -o ${shape.keyFile}; copy it to every node with scp -p`);
  if (shape.heartbeat) {
    cluster.heartbeat = { interval: shape.heartbeat.interval, lease: shape.heartbeat.lease };
    d.approx(["cluster", "heartbeat"], shape.heartbeat.why);
  }
  if (shape.nodes.length === 2) {
    cluster.quorum = "two_node";
    d.hint(
      ["cluster", "quorum"],
      "two nodes: the survivor takes over, as with keepalived or heartbeat; in a partition both may run the groups. " +
        "Recommended: add a third, small node with `witness: true` and remove this line (majority quorum), " +
        "or at least set cluster.tiebreaker / cluster.fence",
    );
  }
  const nodes = shape.nodes.map((n, i) => {
    const out: Record<string, unknown> = { name: n.name, address: n.address };
    if (n.links && n.links.length > 0) out.links = n.links;
    if (n.priority !== undefined) out.priority = n.priority;
    if (n.why) d.hint(["nodes", i, "address"], n.why);
    return out;
  });
  return { cluster, nodes };
}
