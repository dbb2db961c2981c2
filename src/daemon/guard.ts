// What the guard process does, apart from its pipes. The daemon tells it, every heartbeat, how long
// each group that may be active here is still covered by its lease. When a group's cover runs out with
// no newer word, the guard removes the group's VIPs (retrying until `ip` confirms they are gone): no
// other node may take them before then, and every node may right after. If moreover the daemon has
// gone silent (frozen, its cluster loop starved, or dead), the guard stops the group's other resources
// itself, with the same escalation as the group runner, before the group's stop budget has passed.
import { createAgent, virtualAddressOf } from "../adapters/resources/agent.js";
import type { ResourceAgent } from "../adapters/resources/resource-agent.js";
import { removeAddress } from "../adapters/resources/vip.js";
import type { ResourceConfig } from "../core/config/schema.js";
import { monotonicMs, type GuardConfig, type StoppedLine, type VipsRemovedLine } from "./guard-protocol.js";
import { stopWithEscalation } from "./stop-escalation.js";

/** How often a failed VIP removal is retried, ms. */
const VIP_RETRY_MS = 100;

/** The name under which VIPs of the old line format are covered. */
export const LEGACY_GROUP = "(vips)";

type Vip = [address: string, iface: string];

/** A failure's detail without its timings, so that a retry failing the same way is not logged again. */
const sameFailure = (detail: string) => detail.replace(/\d+ms/g, "Nms");

/** A group whose resources may be active here. */
interface Covered {
  /** When its cover runs out (monotonic ms). */
  deadline: number;
  /** The removal of its VIPs under way (until gone or covered again); true when all are gone. */
  removal: Promise<boolean> | undefined;
  /** The guard is stopping it. */
  stopping: boolean;
  /** Its VIPs were confirmed gone since its cover last ran out (not checked again every heartbeat). */
  vipsGone: boolean;
  /** The removal under way found at least one of its VIPs present and removed it. */
  removedSome?: boolean;
}

/** The guard's state and decisions; the process around it feeds it lines and the clock. */
export class Guard {
  private config: GuardConfig | undefined;
  private legacyVips: Vip[] = [];
  private covered = new Map<string, Covered>();
  private lastHeard: number;
  private closed = false;
  private timer: NodeJS.Timeout | undefined;
  private failures = new Map<string, string>();
  private idle: (() => void) | undefined;

  constructor(
    private out: (line: StoppedLine | VipsRemovedLine) => void,
    private log: (msg: string) => void,
    private now: () => number = monotonicMs,
  ) {
    this.lastHeard = now();
  }

  /** Takes the daemon's config (at spawn and after every reload). */
  configure(config: GuardConfig): void {
    this.heard();
    this.config = config;
    this.evaluate();
  }

  /** Takes a cover line: `groups` maps each group that may be active here to its remaining cover, ms,
   * counted from `at` (monotonic ms when sent; default now). */
  cover(groups: Record<string, number>, at?: number, legacy = false): void {
    this.heard();
    const now = this.now();
    const from = Math.min(at ?? now, now);
    for (const g of this.covered.keys()) {
      if (!(g in groups) && (g === LEGACY_GROUP) === legacy && !this.covered.get(g)?.stopping) this.covered.delete(g);
    }
    for (const [g, ms] of Object.entries(groups)) {
      const c = this.covered.get(g);
      const deadline = from + Math.max(0, ms);
      if (!c) this.covered.set(g, { deadline, removal: undefined, stopping: false, vipsGone: false });
      else {
        c.deadline = deadline;
        if (deadline > now) c.vipsGone = false;
      }
    }
    this.evaluate();
  }

  /** Takes a line of the old format: these VIPs are covered for `holdMs`. */
  legacy(holdMs: number, vips: Vip[]): void {
    this.legacyVips = vips;
    this.cover(vips.length > 0 ? { [LEGACY_GROUP]: holdMs } : {}, undefined, true);
  }

  /** Any line proves the daemon is alive. */
  private heard(): void {
    this.lastHeard = this.now();
  }

  /** The daemon is gone (stdin closed): every covered group is taken over once its cover runs out.
   * Resolves when none is left. */
  close(): Promise<void> {
    this.closed = true;
    const done = new Promise<void>((resolve) => (this.idle = resolve));
    this.evaluate();
    return done;
  }

  private silent(now: number): boolean {
    return this.closed || now - this.lastHeard >= (this.config?.silenceMs ?? Infinity);
  }

  /** Acts on every lapsed group, and sets the timer for the next moment something may change. */
  private evaluate(): void {
    const now = this.now();
    let wake = Infinity;
    for (const [g, c] of this.covered) {
      if (now < c.deadline) {
        wake = Math.min(wake, c.deadline);
        continue;
      }
      if (!c.vipsGone && !c.removal && !c.stopping) void this.removeVips(g, c);
      if (c.stopping) continue;
      if (this.silent(now)) void this.takeOver(g, c);
      else wake = Math.min(wake, this.lastHeard + (this.config?.silenceMs ?? Infinity));
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = Number.isFinite(wake) ? setTimeout(() => this.evaluate(), Math.max(0, wake - now)) : undefined;
    if (this.closed && this.covered.size === 0) this.idle?.();
  }

  private resourcesOf(group: string): ResourceConfig[] | undefined {
    return group === LEGACY_GROUP ? [] : this.config?.groups[group];
  }

  private vipsOf(group: string): Vip[] {
    if (group === LEGACY_GROUP) return this.legacyVips;
    return (this.resourcesOf(group) ?? []).map(virtualAddressOf).filter((v) => v !== undefined);
  }

  /** Removes the group's VIPs, retrying each every VIP_RETRY_MS until gone or the group is covered again;
   * true when all are gone. Joins a removal already under way. */
  private removeVips(group: string, c: Covered): Promise<boolean> {
    c.removal ??= this.removeAll(group, c).then((gone) => {
      c.removal = undefined;
      c.vipsGone = gone;
      if (gone && c.removedSome && !c.stopping && !this.closed) this.out({ t: "vips-removed", group });
      c.removedSome = false;
      return gone;
    });
    return c.removal;
  }

  private async removeAll(group: string, c: Covered): Promise<boolean> {
    const left = new Set(this.vipsOf(group).map((v) => v.join(" ")));
    while (left.size > 0 && (c.stopping || this.now() >= c.deadline) && this.covered.get(group) === c) {
      for (const key of [...left]) {
        const [address = "", iface = ""] = key.split(" ");
        const r = await removeAddress(address, iface);
        if (r.ok) {
          if (!r.detail.endsWith(": not present")) c.removedSome = true;
          left.delete(key);
          this.failures.delete(key);
          this.log(`guard: ${group}: the lease ran out without renewal from the daemon; ${r.detail}`);
        } else if (this.failures.get(key) !== sameFailure(r.detail)) {
          this.failures.set(key, sameFailure(r.detail));
          this.log(`guard: ${group}: could not remove a VIP, retrying every ${VIP_RETRY_MS}ms: ${r.detail}`);
        }
      }
      if (left.size > 0) await new Promise((r) => setTimeout(r, VIP_RETRY_MS));
    }
    return left.size === 0;
  }

  /** Stops a lapsed group of a silent daemon: VIPs, then the other resources in reverse with escalation. */
  private async takeOver(group: string, c: Covered): Promise<void> {
    c.stopping = true;
    const resources = this.resourcesOf(group);
    const why = this.closed
      ? "the daemon is gone"
      : `the daemon is silent for ${Math.round(this.now() - this.lastHeard)}ms`;
    this.log(`guard: ${group}: ${why} and the lease ran out; stopping the group`);
    let ok: boolean;
    if (resources === undefined) {
      this.log(`guard: ${group}: no config for this group was received; cannot stop its resources`);
      ok = false;
    } else {
      const agents = this.agentsOf(group, resources).reverse();
      const [stopped] = await Promise.all([
        stopWithEscalation(group, agents, {
          lastResort: this.config?.lastResort ?? undefined,
          log: (_level, msg, output) => this.log(`guard: ${msg}${output ? `: ${output}` : ""}`),
        }),
        this.removeVips(group, c),
      ]);
      ok = stopped;
    }
    this.log(`guard: ${group}: ${ok ? "stopped" : "could not be stopped; it may still be active here"}`);
    this.out({ t: "stopped", group, ok });
    c.stopping = false;
    if (this.covered.get(group) === c && this.now() >= c.deadline) this.covered.delete(group);
    this.evaluate();
  }

  /** Agents for the resources that are not VIPs (those are removed by removeVips), tagged as the
   * daemon's are: "OWNER/GROUP-INDEX" with the index in the whole list. */
  private agentsOf(group: string, resources: ResourceConfig[]): ResourceAgent[] {
    const owner = this.config?.owner ?? "";
    return resources.flatMap((r, i) => (virtualAddressOf(r) ? [] : [createAgent(r, `${group}-${i}`, owner)]));
  }
}
