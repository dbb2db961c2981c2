// What a member knows about itself, whichever backend holds its locks (the builtin ClusterNode or the
// etcd backend's EtcdCoordNode): its groups and their states, its failures, its track probes and its
// databases' replication positions, standby and whether an earlier incarnation is settled; and the
// rules both backends apply to them: resource outcomes, operator cleanups, track verdicts, clones.
import type { AdminState } from "./admin.js";
import type { ClusterEvent } from "./events.js";
import { FailureLog } from "./failures.js";
import { GroupDriver, type DriveOutput } from "./group-driver.js";
import { reportablePosition } from "./positions.js";
import { failureTimeouts, type GroupSpec, type MemberSpec } from "./spec.js";
import { ownVerdict, verdictReason, type ProbeResult, type TrackVerdict } from "./track.js";

/** Where the rules write: the step's actions and decisions. */
export type LocalOutput = DriveOutput;

/** A member's own state. */
export class LocalState {
  readonly groups: GroupDriver;
  readonly failures: FailureLog;
  /** The latest result of each track probe on this node, by trackKey. */
  readonly probes = new Map<string, ProbeResult>();
  /** What this node's database server of each promotable group has received (positions.ts). */
  readonly positions = new Map<string, string>();
  standby = false;
  /** Whether this node knows nothing of an earlier incarnation of it is still active. */
  settled = false;
  private cleanupsSeen: Record<string, number> = {};

  constructor(
    private self: string,
    private groupSpecs: readonly GroupSpec[],
  ) {
    this.groups = new GroupDriver(
      groupSpecs.map((g) => g.name),
      groupSpecs.filter((g) => g.clone).map((g) => g.name),
    );
    this.failures = new FailureLog(failureTimeouts(groupSpecs));
  }

  /** Takes reloaded groups: new ones start out stopped, removed ones stop (see GroupDriver.configure). */
  configure(groups: readonly GroupSpec[], out: LocalOutput): void {
    this.groupSpecs = groups;
    this.groups.configure(
      groups.map((g) => g.name),
      out,
      this.self,
      groups.filter((g) => g.clone).map((g) => g.name),
    );
    this.failures.setTimeouts(failureTimeouts(groups));
  }

  /** Applies a resource outcome, cleanup, standby, track or position event: "urgent" when others should
   * hear of it at once, "quiet" when not; undefined for the backend's own events (commands, settled,
   * reloads, fencing). */
  onEvent(e: ClusterEvent, now: number, admin: AdminState, out: LocalOutput): "urgent" | "quiet" | undefined {
    switch (e.kind) {
      case "started":
        this.groups.started(e.group);
        return "quiet";
      case "stopped":
        this.groups.stopped(e.group);
        return "quiet";
      case "stop-failed": {
        const spec = this.groupSpecs.find((g) => g.name === e.group);
        this.groups.unclean(e.group);
        this.failures.atLeast(e.group, spec?.migrationThreshold ?? 1, now);
        const retry = spec
          ? "`vigil cleanup` tries its stop again"
          : "a reload tries its stop again (it was removed from the config)";
        out.decisions.push(
          `${this.self}: ${e.group} could not be stopped, not even by escalation, and is unclean here: its lock stays held, so it starts nowhere else until ${retry}`,
        );
        return "urgent";
      }
      case "vips-lost": {
        const state = this.groups.state(e.group);
        if ((state !== "running" && state !== "starting") || admin.maintenance) return "quiet";
        // Not the resource's fault (this node was late to renew): a restart, not a failure.
        this.groups.stop(
          e.group,
          `${this.self} stops ${e.group} to start it again: the guard removed its VIPs when their cover ran out`,
          out,
        );
        return "urgent";
      }
      case "failed":
        if (this.groups.state(e.group) === undefined) return "quiet";
        out.decisions.push(`${this.self}: ${e.group} failed (${this.failures.record(e.group, now)} failures here)`);
        if (this.groups.state(e.group) !== "stopped" && !admin.maintenance)
          this.groups.stop(e.group, `${this.self} stops ${e.group}: it failed and restarts`, out);
        return "urgent";
      case "cleanup":
        this.failures.cleanup(e.group);
        out.decisions.push(`${this.self}: failures of ${e.group} cleared`);
        return "urgent";
      case "standby":
        this.standby = e.on;
        return "urgent";
      case "track":
        this.probes.set(e.key, { passing: e.passing, inARow: e.inARow });
        return "urgent";
      case "position": {
        const text = reportablePosition(e.received);
        if (text === undefined) this.positions.delete(e.group);
        else this.positions.set(e.group, text);
        return "quiet";
      }
      default:
        return undefined;
    }
  }

  /** Follows the admin state: `cleanup` counters that grew clear this node's failures (and retry an
   * unclean group's stop). True when one did. */
  followAdmin(admin: AdminState, out: LocalOutput): boolean {
    let changed = false;
    for (const [group, n] of Object.entries(admin.cleanups)) {
      if (n <= (this.cleanupsSeen[group] ?? 0)) continue;
      this.cleanupsSeen[group] = n;
      this.failures.cleanup(group);
      if (this.groups.state(group) === "unclean")
        this.groups.stop(group, `${this.self} tries again to stop ${group}: cleanup by an operator`, out);
      changed = true;
    }
    return changed;
  }

  /** This node's verdict on every group with track checks that fail here. */
  ownVerdicts(): Record<string, TrackVerdict> {
    const out: Record<string, TrackVerdict> = {};
    for (const g of this.groupSpecs) {
      if (!g.track || g.track.length === 0) continue;
      const v = ownVerdict(g.track, this.probes, (clone) => this.groups.state(clone) === "running");
      if (v) out[g.name] = v;
    }
    return out;
  }

  /** This node's reported positions of the configured promotable groups. */
  ownPositions(): Record<string, string> {
    const promotable = new Set(this.groupSpecs.filter((g) => g.promotable).map((g) => g.name));
    return Object.fromEntries([...this.positions].filter(([g]) => promotable.has(g)));
  }

  /** Group → why a node may not run it, from its verdicts (`fails track ping 10.77.0.1 (3 checks in a row)`). */
  reasons(verdicts: Record<string, TrackVerdict>): Record<string, string> {
    return Object.fromEntries(
      Object.entries(verdicts).map(([g, v]) => [g, verdictReason(this.groupSpecs.find((s) => s.name === g)?.track, v)]),
    );
  }

  /** For a clone: why it may not run here now (undefined: it may). */
  cloneBlocked(group: string, me: MemberSpec | undefined, admin: AdminState, now: number): string | undefined {
    if (me?.witness) return "this node is a witness";
    if (!this.settled) return "waiting until nothing of an earlier incarnation is active here";
    if (this.standby || admin.standby.includes(this.self)) return "this node is in standby";
    const spec = this.groupSpecs.find((g) => g.name === group);
    const failures = this.failures.counts(now)[group] ?? 0;
    if (spec && failures >= spec.migrationThreshold)
      return `it reached ${failures} failures here (migration_threshold ${spec.migrationThreshold})`;
    return undefined;
  }
}
