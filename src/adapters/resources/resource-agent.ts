// The interface every resource type implements, and the results its operations return.

/** The outcome of one operation. */
export interface OpResult {
  ok: boolean;
  /** One line for the log: what ran and how it ended. */
  detail: string;
  output?: string;
}

/** What a monitor found: running, cleanly stopped, or failed (anything else the agent said). */
export interface MonitorResult {
  state: "running" | "stopped" | "failed";
  detail: string;
  output?: string;
}

/** A resource vigil starts, stops and monitors. */
export interface ResourceAgent {
  readonly description: string;
  start(): Promise<OpResult>;
  stop(): Promise<OpResult>;
  monitor(): Promise<MonitorResult>;
  /** After a stop failed or timed out: ends what is left of the resource by force (SIGKILL of its
   * processes, removal of its address); ok only when it made sure nothing of it is left. Its detail
   * says what was done, without the resource's name (e.g. "SIGKILL of 2 processes, none left"). */
  kill(): Promise<OpResult>;
}

/** How long each operation of an agent may take before it is killed and fails, ms. */
export interface OpLimits {
  /** A start (config `timeouts.start`). */
  start: number;
  /** A stop (config `timeouts.stop`). */
  stop: number;
  /** One monitor or status run (config `monitor.timeout`). */
  monitor: number;
}

/** The same limit for every operation (tests, and agents with one fixed limit). */
export function sameLimits(ms: number): OpLimits {
  return { start: ms, stop: ms, monitor: ms };
}
