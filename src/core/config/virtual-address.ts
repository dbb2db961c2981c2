// Which resources are an address on an interface that the VIP guard can remove by itself: a `vip`, or
// an OCF heartbeat/IPaddr2 with `ip` and `nic`. Such a resource is gone at the lease's end whatever the
// daemon does, so it adds nothing to a group's stop budget.
import type { ResourceConfig } from "./schema.js";

/** IPaddr2's address and interface from its parameters, when it names both. */
export function ipaddr2Address(
  agent: string,
  params: Record<string, string | number | boolean>,
): [string, string] | undefined {
  const { ip, nic, cidr_netmask: prefix } = params;
  if (agent !== "heartbeat/IPaddr2" || typeof ip !== "string" || typeof nic !== "string") return undefined;
  return [prefix === undefined ? ip : `${ip}/${String(prefix)}`, nic];
}

/** The address (with prefix, if given) and interface a resource puts up, when it is one the guard removes. */
export function virtualAddressOf(r: ResourceConfig): [string, string] | undefined {
  if (r.type === "vip") return [r.address, r.interface];
  return r.type === "ocf" ? ipaddr2Address(r.agent, r.params) : undefined;
}
