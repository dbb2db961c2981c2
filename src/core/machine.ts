// The contract between a pure state machine (the cluster core, or the simulator's test protocol) and
// whatever drives it: the daemon with real sockets and clocks, or the simulator with fake ones.

/** One input to a machine, always with the machine's own local time in milliseconds. */
export type MachineInput<M, E> =
  { kind: "tick" } | { kind: "message"; from: string; msg: M; link?: number } | { kind: "local"; event: E };

/** A message for one peer, by node name. */
export interface Outbound<M> {
  to: string;
  msg: M;
}

/** Everything a step decided. `decisions` are one-line human sentences, logged and asserted on. */
export interface StepOutput<M, A> {
  sends: Outbound<M>[];
  actions: A[];
  decisions: string[];
  /** Local time at which the machine wants its next tick (undefined: only on input). */
  wakeAt: number | undefined;
}

/** A deterministic node: same inputs at the same local times give the same outputs. */
export interface Machine<M, A, E, V> {
  readonly id: string;
  step(now: number, input: MachineInput<M, E>): StepOutput<M, A>;
  /** A read-only view for status pages and invariant checkers. */
  observe(now: number): V;
}

/** An empty step result, for machines to build on. */
export function noOutput<M, A>(wakeAt?: number): StepOutput<M, A> {
  return { sends: [], actions: [], decisions: [], wakeAt };
}
