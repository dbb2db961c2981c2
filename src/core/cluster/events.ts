// What a cluster node exchanges with whatever drives it: the actions it asks for, the local events it
// is told about (resource outcomes, operator input, a reloaded config), and the views it gives out.
import type { AdminState, Command } from "./admin.js";
import type { GroupState } from "./group-driver.js";
import type { GroupSpec } from "./spec.js";

/** What the node asks its resource layer to do. */
export type ClusterAction =
  | { kind: "start"; group: string }
  | { kind: "stop"; group: string }
  | { kind: "fence"; node: string }
  /** Find out whether an earlier incarnation of this node left anything active (answered by "settled"). */
  | { kind: "probe" }
  /** The outcome of an operator command submitted here. */
  | { kind: "command-result"; id: number; ok: boolean; message: string };

/** What the resource layer and operators tell the node. */
export type ClusterEvent =
  | { kind: "started"; group: string }
  | { kind: "stopped"; group: string }
  | { kind: "failed"; group: string }
  /** The guard removed the group's VIPs (its cover ran out before the daemon renewed it): a restart
   * (not a failure) if the group runs or starts here, nothing if it is stopping or stopped anyway. */
  | { kind: "vips-lost"; group: string }
  /** A stop failed or timed out: the group may still run here. */
  | { kind: "stop-failed"; group: string }
  | { kind: "standby"; on: boolean }
  /** `vigil cleanup GROUP`: forget this node's failures of the group. */
  | { kind: "cleanup"; group: string }
  /** An operator command (API/CLI); it is carried out by the leader, whichever node receives it. */
  | { kind: "command"; id: number; cmd: Command }
  /** two_node: the fence command against `node` finished. */
  | { kind: "fenced"; node: string; ok: boolean }
  /** Nothing of an earlier incarnation of this node is active any more (its old guard is gone). */
  | { kind: "settled" }
  /** two_node: the tiebreaker is (not) reachable. */
  | { kind: "tiebreaker"; ok: boolean }
  /** A track probe of this node (see track.ts) changed its verdict: `passing`, decided by `inARow`
   * results in a row (its rise or fall; 1 for a first result). */
  | { kind: "track"; key: string; passing: boolean; inARow: number }
  /** What this node's database server of a promotable group has received (a GTID position, as MariaDB
   * prints it); reported with the heartbeat so the leader can move the group to the fullest replica. */
  | { kind: "position"; group: string; received: string }
  /** The configured groups changed (a reload): new ones may be placed, removed ones stop here and are
   * forgotten, changed placement keys apply from the next placement round. */
  | { kind: "groups"; groups: GroupSpec[] };

/** A read-only snapshot of what this node holds and runs, for invariant checkers and status. */
export interface ClusterView {
  name: string;
  inc: number;
  term: number;
  isLeader: boolean;
  /** The leader this node follows (itself when leading). */
  leader: string | undefined;
  /** Locks (groups and the leader lock) whose lease this node holds right now. */
  holds: string[];
  groups: Record<string, GroupState>;
  assignments: Record<string, string | null>;
  standby: boolean;
  /** Operator state as announced by the leader this node follows. */
  admin: AdminState;
}

/** The full status of a node: its view plus peers, links and dropped packets. */
export interface ClusterStatus extends ClusterView {
  failures: Record<string, number>;
  /** Every other member as this node hears it: liveness, links, and what its last heartbeat said. */
  peers: {
    name: string;
    alive: boolean;
    links: boolean[];
    running: string[];
    standby: boolean;
    failures: Record<string, number>;
    /** Groups the peer may not run because a track check fails there, with the reason. */
    track: Record<string, string>;
  }[];
  drops: Record<string, number>;
  /** Groups this node may not run because a track check fails here, with the reason. */
  track: Record<string, string>;
  /** The configured clone groups (they have no assignment; each node reports where they run). */
  clones: string[];
}
