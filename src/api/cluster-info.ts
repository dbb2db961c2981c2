// What /status adds to a node's own view so a reader needs no config: the cluster's name, every
// configured member with its votes, and whether this node hears a quorum of votes.
import type { ClusterSpec } from "../core/cluster/spec.js";

/** One configured member. */
export interface MemberInfo {
  name: string;
  votes: number;
  /** A witness votes but never leads or runs groups. */
  witness: boolean;
}

/** Votes this node hears (itself included) against what a lease needs. */
export interface QuorumInfo {
  mode: "majority" | "two_node";
  heard: number;
  needed: number;
  total: number;
  /** heard ≥ needed. In two_node mode a survivor may act alone even when this is false. */
  ok: boolean;
}

/** The `cluster` field of /status. */
export interface ClusterInfo {
  name: string;
  members: MemberInfo[];
  quorum: QuorumInfo;
}

/** Builds the cluster info from the spec and which peers this node hears now. */
export function clusterInfo(
  spec: ClusterSpec,
  self: string,
  peers: readonly { name: string; alive: boolean }[],
): ClusterInfo {
  const votesOf = (n: string) => spec.members.find((m) => m.name === n)?.votes ?? 0;
  const heard = votesOf(self) + peers.filter((p) => p.alive).reduce((n, p) => n + votesOf(p.name), 0);
  const total = spec.members.reduce((n, m) => n + m.votes, 0);
  return {
    name: spec.clusterName,
    members: spec.members.map((m) => ({ name: m.name, votes: m.votes, witness: m.witness })),
    quorum: { mode: spec.quorumMode, heard, needed: spec.quorumVotes, total, ok: heard >= spec.quorumVotes },
  };
}
