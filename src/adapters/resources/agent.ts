// The factory that picks a resource agent by config type.
import type { ResourceConfig } from "../../core/config/schema.js";
import { DEFAULT_OP_TIMEOUT_MS } from "../../core/config/stop-budget.js";
import { ExecAgent } from "./exec.js";
import { ipaddr2Address, OcfAgent } from "./ocf.js";
import { SystemdAgent } from "./systemd.js";
import type { ResourceAgent } from "./resource-agent.js";
import { VipAgent } from "./vip.js";

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
