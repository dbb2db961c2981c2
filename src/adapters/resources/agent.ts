// The interface every resource type implements, and the factory that picks one by config type.
import type { ResourceConfig } from "../../core/config/schema.js";
import { ExecAgent } from "./exec.js";
import { ipaddr2Address, OcfAgent } from "./ocf.js";
import { SystemdAgent } from "./systemd.js";
import { VipAgent } from "./vip.js";

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
}

/** Default time one start or stop may take. */
export const DEFAULT_OP_TIMEOUT_MS = 20_000;

/** Builds the agent for a configured resource (`instance` names it, e.g. for OCF). */
export function createAgent(r: ResourceConfig, instance: string): ResourceAgent {
  switch (r.type) {
    case "exec":
      return new ExecAgent(r.path, r.args, r.monitor?.timeout ?? DEFAULT_OP_TIMEOUT_MS);
    case "ocf":
      return new OcfAgent(r.agent, instance, r.params, r.monitor?.timeout ?? DEFAULT_OP_TIMEOUT_MS);
    case "systemd":
      return new SystemdAgent(r.unit, r.monitor?.timeout ?? DEFAULT_OP_TIMEOUT_MS);
    case "vip":
      return new VipAgent(r.address, r.interface, r.garp_refresh ?? 0);
  }
}

/** The [address, interface] a resource holds while it runs here, if it is a virtual IP: a `vip`, or an
 * `ocf` heartbeat/IPaddr2 with `ip` and `nic`. The VIP guard and the start-up clean-up remove these. */
export function virtualAddressOf(r: ResourceConfig): [string, string] | undefined {
  if (r.type === "vip") return [r.address, r.interface];
  return r.type === "ocf" ? ipaddr2Address(r.agent, r.params) : undefined;
}
