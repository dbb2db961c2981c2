// The interface every resource type implements, and the factory that picks one by config type.
import type { ResourceConfig } from "../../core/config/schema.js";
import { ExecAgent } from "./exec.js";

/** The outcome of one operation. */
export interface OpResult {
  ok: boolean;
  /** One line for the log: what ran and how it ended. */
  detail: string;
  output?: string;
}

/** A resource vigil starts, stops and monitors. */
export interface ResourceAgent {
  readonly description: string;
  start(): Promise<OpResult>;
  stop(): Promise<OpResult>;
}

/** Default time one start or stop may take. */
export const DEFAULT_OP_TIMEOUT_MS = 20_000;

/** Builds the agent for a configured resource, or says why this build cannot drive it. */
export function createAgent(r: ResourceConfig): ResourceAgent {
  switch (r.type) {
    case "exec":
      return new ExecAgent(r.path, r.args, r.monitor?.timeout ?? DEFAULT_OP_TIMEOUT_MS);
    default:
      throw new Error(`resource type "${r.type}" is not supported by this version of vigil yet (exec is)`);
  }
}
