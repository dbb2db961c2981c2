// What the simulator checks. A protocol plugs in its own checkers through this interface; the cluster
// core's safety and liveness checkers implement it the same way the test protocol's do.

/** One node as the checker sees it at an instant of real time. */
export interface NodeObservation<V> {
  id: string;
  up: boolean;
  paused: boolean;
  /** The node's own clock reading (drifted), which is what its leases are measured in. */
  localTime: number;
  /** The machine's observe() view; undefined while the node is down. */
  view: V | undefined;
}

/** The whole cluster at one instant of real (simulated) time. */
export interface Observation<V> {
  realTime: number;
  nodes: NodeObservation<V>[];
}

/** A property of every run. */
export interface Invariant<V> {
  name: string;
  /** Checked after every event: a sentence describing the violation, or undefined. */
  safety?(obs: Observation<V>): string | undefined;
  /** After faults stop: undefined once the cluster has converged, else what is still missing. */
  liveness?(obs: Observation<V>): string | undefined;
}
