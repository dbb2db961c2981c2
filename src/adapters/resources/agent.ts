// The factory that picks a resource agent by config type.
import type { ResourceConfig } from "../../core/config/schema.js";
import { DEFAULT_OP_TIMEOUT_MS, opTimeouts } from "../../core/config/stop-budget.js";
import { ExecAgent } from "./exec.js";
import { MariadbAgent } from "./mariadb.js";
import { OcfAgent } from "./ocf.js";
import { SystemdAgent } from "./systemd.js";
import type { OpLimits, ResourceAgent } from "./resource-agent.js";
import { VIP_OP_TIMEOUT_MS, VipAgent } from "./vip.js";

/** Builds the agent for a configured resource. `instance` names it (e.g. for OCF; "GROUP-INDEX"), and
 * `owner` ("CLUSTER/NODE") with it makes the tag `${owner}/${instance}` every process it starts carries. */
export function createAgent(r: ResourceConfig, instance: string, owner: string): ResourceAgent {
  const tag = `${owner}/${instance}`;
  switch (r.type) {
    case "exec":
      return new ExecAgent(r.path, r.args, limitsOf(r), tag, r.convention);
    case "ocf":
      return new OcfAgent(r.agent, instance, r.params, limitsOf(r), tag);
    case "systemd":
      return new SystemdAgent(r.unit, limitsOf(r), tag);
    case "vip":
      return new VipAgent(r.address, r.interface, r.garp_refresh ?? 0, vipLimitsOf(r));
    case "mariadb":
      return new MariadbAgent(r, tag);
  }
}

/** Start and stop from `timeouts` (default 20s), monitor from `monitor.timeout` (default 20s). */
export function limitsOf(r: Exclude<ResourceConfig, { type: "vip" | "mariadb" }>): OpLimits {
  return { ...opTimeouts(r), monitor: r.monitor?.timeout ?? DEFAULT_OP_TIMEOUT_MS };
}

/** A VIP's operations take `timeouts` when given, else 5s each. */
function vipLimitsOf(r: Extract<ResourceConfig, { type: "vip" }>): OpLimits {
  return {
    start: r.timeouts.start ?? VIP_OP_TIMEOUT_MS,
    stop: r.timeouts.stop ?? VIP_OP_TIMEOUT_MS,
    monitor: VIP_OP_TIMEOUT_MS,
  };
}

export { virtualAddressOf } from "../../core/config/virtual-address.js";
