// `vip` resources: a virtual IP added to an interface with `ip addr`, announced with a burst of
// gratuitous ARP (arping -U) and removed on stop. An IPv6 VIP is added without duplicate address
// detection and with the interface's ndisc_notify set, so the kernel itself sends the unsolicited
// neighbour advertisement the moment the address appears.
import { writeFileSync } from "node:fs";
import { describeResult, runCommand } from "../run-command.js";
import type { MonitorResult, OpResult, ResourceAgent } from "./agent.js";

/** How many gratuitous ARPs announce a takeover. */
export const GARP_BURST = 3;

const OP_TIMEOUT_MS = 5000;

/** Whether `address` (with prefix) is configured on `iface`. */
export async function hasAddress(address: string, iface: string): Promise<boolean> {
  const ip = address.split("/")[0] ?? address;
  const r = await runCommand("ip", ["-o", "addr", "show", "dev", iface], { timeoutMs: OP_TIMEOUT_MS });
  return r.code === 0 && r.output.split("\n").some((l) => l.includes(` ${ip}/`));
}

/** Removes `address` from `iface` if present; ok when it is gone afterwards. */
export async function removeAddress(address: string, iface: string): Promise<OpResult> {
  if (!(await hasAddress(address, iface))) return { ok: true, detail: `vip ${address} on ${iface}: not present` };
  const r = await runCommand("ip", ["addr", "del", address, "dev", iface], { timeoutMs: OP_TIMEOUT_MS });
  return { ok: r.code === 0, detail: `vip ${address} on ${iface} removed: ${describeResult(r)}`, output: r.output.trim() };
}

/** Sends unsolicited ARP for an IPv4 `address` on `iface` (IPv6 is announced by the kernel on add). */
export async function announce(address: string, iface: string, count = GARP_BURST): Promise<OpResult> {
  const ip = address.split("/")[0] ?? address;
  if (ip.includes(":")) return { ok: true, detail: `announce ${ip} on ${iface}: unsolicited neighbour advertisement sent by the kernel` };
  const r = await runCommand("arping", ["-q", "-U", "-c", String(count), "-w", "1", "-I", iface, ip], { timeoutMs: OP_TIMEOUT_MS });
  return { ok: r.code === 0, detail: `announce ${ip} on ${iface}: ${describeResult(r)}`, output: r.output.trim() };
}

/** Asks the kernel to advertise new IPv6 addresses of `iface` (net.ipv6.conf.IFACE.ndisc_notify = 1). */
function enableNdiscNotify(iface: string): string | undefined {
  try {
    writeFileSync(`/proc/sys/net/ipv6/conf/${iface}/ndisc_notify`, "1");
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

/** A virtual IP on one interface. */
export class VipAgent implements ResourceAgent {
  readonly description: string;
  private refresh: NodeJS.Timeout | undefined;
  /** The burst of the last takeover: it runs on while the next resources start (arping waits between packets). */
  lastAnnounce: Promise<OpResult> | undefined;

  /** `refreshMs`: repeat the announcement this often while held (0: only on takeover). */
  constructor(readonly address: string, readonly iface: string, private refreshMs = 0) {
    this.description = `vip ${address} on ${iface}`;
  }

  async start(): Promise<OpResult> {
    const v6 = this.address.includes(":");
    const notifyErr = v6 ? enableNdiscNotify(this.iface) : undefined;
    if (notifyErr) return { ok: false, detail: `${this.description} start: cannot enable ndisc_notify: ${notifyErr}` };
    if (!(await hasAddress(this.address, this.iface))) {
      const args = [...(v6 ? ["-6"] : []), "addr", "add", this.address, "dev", this.iface, ...(v6 ? ["nodad"] : [])];
      const r = await runCommand("ip", args, { timeoutMs: OP_TIMEOUT_MS });
      if (r.code !== 0) return { ok: false, detail: `${this.description} start: ip addr add ${describeResult(r)}`, output: r.output.trim() };
    }
    this.lastAnnounce = announce(this.address, this.iface);
    if (this.refreshMs > 0) {
      clearInterval(this.refresh);
      this.refresh = setInterval(() => void announce(this.address, this.iface, 1), this.refreshMs);
    }
    return { ok: true, detail: `${this.description} started; gratuitous ARP burst under way` };
  }

  async stop(): Promise<OpResult> {
    clearInterval(this.refresh);
    this.refresh = undefined;
    return removeAddress(this.address, this.iface);
  }

  async monitor(): Promise<MonitorResult> {
    const up = await hasAddress(this.address, this.iface);
    return { state: up ? "running" : "stopped", detail: `${this.description}: ${up ? "present" : "missing"}` };
  }
}
