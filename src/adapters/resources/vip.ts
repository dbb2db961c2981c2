// `vip` resources: a virtual IP added to an interface with `ip addr`, announced with a burst of
// gratuitous ARP (arping -U) and removed on stop. An IPv6 VIP is added without duplicate address
// detection (usable at once) and announced with a burst of unsolicited neighbour advertisements that
// carry the Override flag (see neighbour-advert.ts), so clients with a REACHABLE entry switch at once.
import { describeResult, runCommand } from "../run-command.js";
import { sameLimits, type MonitorResult, type OpLimits, type OpResult, type ResourceAgent } from "./resource-agent.js";
import { sendUnsolicitedNa } from "./neighbour-advert.js";

/** How long one `ip` run of a VIP may take unless the resource's `timeouts` say otherwise, ms. */
export const VIP_OP_TIMEOUT_MS = 5000;

/** Whether an address is on an interface, or why that could not be found out. */
export type AddressCheck = { state: "present" | "absent" } | { state: "unknown"; why: string };

/** Whether `address` (with prefix) is configured on `iface`. An interface that does not exist holds no
 * address; any other failure of `ip` (missing, no file descriptors, an error, a timeout) is "unknown". */
export async function hasAddress(address: string, iface: string, timeoutMs = VIP_OP_TIMEOUT_MS): Promise<AddressCheck> {
  const ip = address.split("/")[0] ?? address;
  const r = await runCommand("ip", ["-o", "addr", "show", "dev", iface], { timeoutMs });
  if (r.code === 0) return { state: r.output.split("\n").some((l) => l.includes(` ${ip}/`)) ? "present" : "absent" };
  if (r.code !== null && r.output.includes(`Device "${iface}" does not exist`)) return { state: "absent" };
  return {
    state: "unknown",
    why: `ip addr show dev ${iface} ${describeResult(r)}${r.output.trim() ? `: ${r.output.trim()}` : ""}`,
  };
}

/** Removes `address` from `iface` if present; ok only when `ip` confirmed it is not there (any more). */
export async function removeAddress(address: string, iface: string, timeoutMs = VIP_OP_TIMEOUT_MS): Promise<OpResult> {
  const what = `vip ${address} on ${iface}`;
  const before = await hasAddress(address, iface, timeoutMs);
  if (before.state === "unknown")
    return { ok: false, detail: `${what}: not removed, could not check whether it is present (${before.why})` };
  if (before.state === "absent") return { ok: true, detail: `${what}: not present` };
  const r = await runCommand("ip", ["addr", "del", address, "dev", iface], { timeoutMs });
  if (r.code === 0) return { ok: true, detail: `${what} removed: ${describeResult(r)}`, output: r.output.trim() };
  const after = await hasAddress(address, iface, timeoutMs);
  if (after.state === "absent")
    return {
      ok: true,
      detail: `${what}: gone (ip addr del ${describeResult(r)}, but it is no longer there)`,
      output: r.output.trim(),
    };
  const still =
    after.state === "unknown" ? `could not check whether it is still present (${after.why})` : "still present";
  return { ok: false, detail: `${what}: ip addr del ${describeResult(r)}; ${still}`, output: r.output.trim() };
}

/** When, after a takeover, the gratuitous ARPs (or neighbour advertisements) of the burst go out (ms). */
export const GARP_BURST_MS = [0, 150, 500];

/** How long arping may take to fail (a bad interface, no permission) before its ARP counts as sent. */
const ARPING_FAILS_WITHIN_MS = 50;
/** When arping is stopped: it sends at once but then lingers about a second. */
const ARPING_LINGER_MS = 200;

/** Announces `address` on `iface`: one unsolicited ARP for IPv4, one unsolicited neighbour
 * advertisement for IPv6. Does not wait for arping's linger, which would hold up the group's next
 * resource (an IPv6 VIP behind an IPv4 one would be announced 200ms later); arping is stopped after it. */
export async function announce(address: string, iface: string): Promise<OpResult> {
  const ip = address.split("/")[0] ?? address;
  if (ip.includes(":")) return sendUnsolicitedNa(ip, iface);
  const run = runCommand("arping", ["-q", "-U", "-c", "1", "-I", iface, ip], { timeoutMs: ARPING_LINGER_MS });
  const r = await Promise.race([
    run,
    new Promise<undefined>((done) => setTimeout(() => done(undefined), ARPING_FAILS_WITHIN_MS)),
  ]);
  if (r === undefined) return { ok: true, detail: `announce ${ip} on ${iface}: gratuitous ARP sent` };
  const ok = r.code === 0 || (r.timedOut && !r.spawnError);
  return {
    ok,
    detail: `announce ${ip} on ${iface}: ${ok ? "gratuitous ARP sent" : describeResult(r)}`,
    output: r.output.trim(),
  };
}

/** A virtual IP on one interface. */
export class VipAgent implements ResourceAgent {
  readonly description: string;
  private refresh: NodeJS.Timeout | undefined;
  /** The rest of the takeover burst; cancelled when the VIP goes, so a stale owner never announces. */
  private pending: NodeJS.Timeout[] = [];

  /** `refreshMs`: repeat the announcement this often while held (0: only on takeover). */
  constructor(
    readonly address: string,
    readonly iface: string,
    private refreshMs = 0,
    private limits: OpLimits = sameLimits(VIP_OP_TIMEOUT_MS),
  ) {
    this.description = `vip ${address} on ${iface}`;
  }

  async start(): Promise<OpResult> {
    const v6 = this.address.includes(":");
    const check = await hasAddress(this.address, this.iface, this.limits.start);
    if (check.state === "unknown")
      return { ok: false, detail: `${this.description} start: could not check whether it is present (${check.why})` };
    if (check.state === "absent") {
      const args = [...(v6 ? ["-6"] : []), "addr", "add", this.address, "dev", this.iface, ...(v6 ? ["nodad"] : [])];
      const r = await runCommand("ip", args, { timeoutMs: this.limits.start });
      if (r.code !== 0)
        return {
          ok: false,
          detail: `${this.description} start: ip addr add ${describeResult(r)}`,
          output: r.output.trim(),
        };
    }
    this.cancelAnnouncements();
    const first = await announce(this.address, this.iface);
    this.pending = GARP_BURST_MS.slice(1).map((ms) => setTimeout(() => void announce(this.address, this.iface), ms));
    if (this.refreshMs > 0) this.refresh = setInterval(() => void announce(this.address, this.iface), this.refreshMs);
    return {
      ok: true,
      detail: `${this.description} started; ${first.detail}`,
      output: first.ok ? undefined : first.output,
    };
  }

  private cancelAnnouncements(): void {
    for (const t of this.pending) clearTimeout(t);
    this.pending = [];
    clearInterval(this.refresh);
    this.refresh = undefined;
  }

  async stop(): Promise<OpResult> {
    this.cancelAnnouncements();
    return removeAddress(this.address, this.iface, this.limits.stop);
  }

  /** A VIP has no processes: its kill is its removal. */
  kill(): Promise<OpResult> {
    return this.stop();
  }

  async monitor(): Promise<MonitorResult> {
    const check = await hasAddress(this.address, this.iface, this.limits.monitor);
    if (check.state === "unknown")
      return { state: "failed", detail: `${this.description}: could not check (${check.why})` };
    const up = check.state === "present";
    return { state: up ? "running" : "stopped", detail: `${this.description}: ${up ? "present" : "missing"}` };
  }
}
