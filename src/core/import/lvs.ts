// LVS terms shared by keepalived's virtual_server and ldirectord.cf: schedulers and forwarding methods.
// The forwarding mapping lives only here: LVS NAT becomes `forward: nat` (kernel DNAT, client address
// kept, replies through the owner, as LVS NAT did) when FORWARD_NAT_AVAILABLE, else the proxy.
import { KERNEL_SCHEDULERS } from "../config/virtual-server-checks.js";
import type { Draft } from "./draft.js";
import type { SourcePos } from "./types.js";
import type { KeyPath } from "../config/issues.js";

/** Whether the schema has `forward: nat` (kernel DNAT); without it, NAT maps to the proxy. */
export const FORWARD_NAT_AVAILABLE = true;

type Scheduler = "rr" | "wrr" | "lc" | "wlc" | "sh";
const EXACT: readonly string[] = ["rr", "wrr", "lc", "wlc", "sh"];
/** LVS schedulers vigil lacks, and the nearest one it has. */
const NEAREST: Record<string, { to: Scheduler; why: string }> = {
  sed: { to: "wlc", why: "shortest expected delay" },
  nq: { to: "wlc", why: "never queue" },
  lblc: { to: "wlc", why: "locality-based least-connection" },
  lblcr: { to: "wlc", why: "locality-based least-connection with replication" },
  dh: { to: "sh", why: "destination hashing (vigil hashes the source)" },
  mh: { to: "sh", why: "maglev hashing (vigil uses rendezvous hashing of the source)" },
  fo: { to: "wrr", why: "weighted failover (all traffic to the highest weight)" },
  ovf: { to: "wrr", why: "weighted overflow" },
};

/** Maps an LVS scheduler name into `out.scheduler` at `path`; unknown names keep vigil's default. */
export function mapScheduler(d: Draft, name: string, out: Record<string, unknown>, path: KeyPath, at: SourcePos): void {
  const s = name.toLowerCase();
  if (EXACT.includes(s)) {
    out.scheduler = s;
    return;
  }
  const near = NEAREST[s];
  if (near) {
    out.scheduler = near.to;
    d.approx(
      [...path, "scheduler"],
      `LVS scheduler ${s} (${near.why}) has no equal in vigil; ${near.to} is nearest`,
      at,
    );
    return;
  }
  d.note(at, "unmapped", `scheduler "${name}" is not an LVS scheduler vigil knows; vigil's default wrr is used`);
}

/** LVS forwarding methods, by the names each tool uses. */
export type LvsMethod = "NAT" | "DR" | "TUN";

/** keepalived lb_kind/lvs_method and ldirectord gate/masq/ipip to one method; undefined when unknown. */
export function lvsMethod(word: string): LvsMethod | undefined {
  const w = word.toLowerCase();
  if (w === "nat" || w === "masq" || w === "m" || w === "masquerading") return "NAT";
  if (w === "dr" || w === "gate" || w === "g" || w === "gatewaying" || w === "direct") return "DR";
  if (w === "tun" || w === "ipip" || w === "i" || w === "tunnel") return "TUN";
  return undefined;
}

/** Maps a forwarding method onto virtual server `out` at `path`: the userspace proxy (vigil's default)
 * with a comment on what changes, or `forward: nat` where the schema has it. */
export function mapForwarding(
  d: Draft,
  method: LvsMethod,
  out: Record<string, unknown>,
  path: KeyPath,
  at: SourcePos,
): void {
  if (method === "NAT") {
    const loopbackSorry = typeof out.sorry_server === "string" && /^(127\.|\[::1\])/.test(out.sorry_server);
    if (FORWARD_NAT_AVAILABLE && loopbackSorry) {
      d.approx(
        path,
        "LVS NAT, but the sorry server is on loopback, which kernel DNAT cannot reach: vigil's proxy is used " +
          "(real servers see the proxy node's address; proxy_protocol: v1 passes the client's)",
        at,
      );
      return;
    }
    if (FORWARD_NAT_AVAILABLE) {
      out.forward = "nat";
      d.hint(
        [...path.slice(0, 2), "forward"],
        "LVS NAT: kernel DNAT on the group's owner; as with LVS, real servers must route replies through it (default route via a VIP)",
      );
      const scheduler = typeof out.scheduler === "string" ? out.scheduler : "wrr";
      if (!KERNEL_SCHEDULERS.includes(scheduler)) {
        d.approx(
          [...path.slice(0, 2), "scheduler"],
          `${scheduler} needs forward: proxy; the kernel schedules rr, wrr or sh, so wrr is used`,
          at,
        );
        out.scheduler = "wrr";
      }
      return;
    }
    d.approx(
      path,
      "LVS NAT forwarded in the kernel and kept the client's address; vigil's proxy opens its own connection to the " +
        "real server, which sees the proxy node's address (set proxy_protocol: v1 if it can read it); replies no longer need to route through the director",
      at,
    );
    return;
  }
  if (method === "DR")
    d.approx(
      path,
      "LVS direct routing: real servers answered clients themselves with the VIP on their loopback. Through vigil's proxy " +
        "replies return through the proxy, and real servers see the proxy node's address: remove the VIP from their loopback " +
        "(or keep arp_ignore/arp_announce) and set proxy_protocol: v1 if they can read the client's address from it " +
        "(or forward: fullnat: kernel forwarding, real servers see the owner's address)",
      at,
    );
  else
    d.approx(
      path,
      "LVS IP-in-IP tunnelling: vigil's proxy connects to the real servers directly over TCP; their tunnel interface and VIP " +
        "are no longer needed, and they see the proxy node's address (proxy_protocol: v1 passes the client's)",
      at,
    );
}
