// Where each group stands on this node, and the step that moves it: take the group's lock when the
// leader assigns it here, start it once the lease is held, stop it when it is assigned elsewhere or when
// the lease is about to run out (self-fence), and release the lock once it has stopped. A group removed
// from this node's config (a reload) is never "assigned here", whatever the leader says: it stops, its
// lock is released, and it is forgotten. A clone needs neither lock nor assignment: it starts wherever
// the node may run it (not a witness, not in standby, below its failure threshold) and stops when not.

/** Where a group stands on this node. `unclean`: a stop failed, so its resources may still run here;
 * the node gives the group's lease up (without releasing it early) and may not run it again until cleanup. */
export type GroupState = "stopped" | "starting" | "running" | "stopping" | "unclean";

/** The assignment this node follows. */
export interface FollowedAssignment {
  from: string;
  term: number;
  assignments: Record<string, string | null>;
}

/** What the driver needs from its node for one step. */
export interface DriveContext {
  self: string;
  now: number;
  following: FollowedAssignment | undefined;
  /** Local time the node's lease on a group ends. */
  leaseEnd(group: string): number;
  /** Stop this long before the lease would run out. */
  fenceMargin: number;
  wants(group: string): boolean;
  want(group: string): void;
  release(group: string): void;
  /** For a clone: why it may not run here now, or undefined when it may. */
  cloneBlocked(group: string): string | undefined;
}

/** Where the driver writes what it decided. */
export interface DriveOutput {
  actions: { push(action: { kind: "start" | "stop"; group: string }): unknown };
  decisions: { push(sentence: string): unknown };
}

/** The groups of one node. */
export class GroupDriver {
  private groups = new Map<string, GroupState>();
  /** Groups in this node's config; others are only kept until they stopped here. */
  private configured = new Set<string>();
  /** Configured groups that are clones. */
  private clones = new Set<string>();
  private activeVersion = 0;

  constructor(names: readonly string[], clones: readonly string[] = []) {
    this.configure(names, { actions: [], decisions: [] }, "", clones);
  }

  /** Takes a new list of configured groups (a reload). New groups start out stopped; a removed group
   * that is unclean here gets its stop tried again (the operator wants it gone); a running one is
   * stopped by the next drive(). */
  configure(names: readonly string[], out: DriveOutput, self = "", clones: readonly string[] = []): void {
    this.activeVersion++;
    this.configured = new Set(names);
    this.clones = new Set(clones);
    for (const g of names) if (!this.groups.has(g)) this.set(g, "stopped");
    for (const [g, state] of this.groups) {
      if (state === "unclean" && !this.configured.has(g))
        this.stop(g, `${self} tries again to stop ${g}: removed from the config`, out);
    }
  }

  /** Changes whenever a group becomes active here or stops being active, or the config changes: the set
   * of active groups (and which of them are clones) is the same while it stays the same. */
  get version(): number {
    return this.activeVersion;
  }

  states(): Record<string, GroupState> {
    return Object.fromEntries(this.groups);
  }

  state(group: string): GroupState | undefined {
    return this.groups.get(group);
  }

  /** Whether `group` is a configured clone. */
  isClone(group: string): boolean {
    return this.clones.has(group);
  }

  /** Groups not stopped here (their resources may be active). */
  active(): string[] {
    return [...this.groups]
      .filter(([, s]) => s !== "stopped")
      .map(([g]) => g)
      .sort();
  }

  private set(group: string, state: GroupState): void {
    if (((this.groups.get(group) ?? "stopped") === "stopped") !== (state === "stopped")) this.activeVersion++;
    this.groups.set(group, state);
  }

  private forget(group: string): void {
    if ((this.groups.get(group) ?? "stopped") !== "stopped") this.activeVersion++;
    this.groups.delete(group);
  }

  started(group: string): void {
    if (this.groups.get(group) === "starting") this.set(group, "running");
  }

  stopped(group: string): void {
    if (this.groups.has(group)) this.set(group, "stopped");
  }

  unclean(group: string): void {
    if (this.groups.has(group)) this.set(group, "unclean");
  }

  /** Groups whose stop failed here. */
  uncleanGroups(): string[] {
    return [...this.groups]
      .filter(([, s]) => s === "unclean")
      .map(([g]) => g)
      .sort();
  }

  stop(group: string, reason: string, out: DriveOutput): void {
    this.set(group, "stopping");
    out.actions.push({ kind: "stop", group });
    out.decisions.push(reason);
  }

  /** One step for every group; returns true when a heartbeat should go out at once. */
  drive(c: DriveContext, out: DriveOutput): boolean {
    let urgent = false;
    const f = c.following;
    for (const [group, state] of this.groups) {
      if (state === "unclean") continue;
      const configured = this.configured.has(group);
      if (this.clones.has(group)) {
        if (this.driveClone(group, state, c, out)) urgent = true;
        continue;
      }
      const mine = configured && f?.assignments[group] === c.self;
      const safeUntil = c.leaseEnd(group) - c.fenceMargin;
      if (mine && !c.wants(group)) {
        c.want(group);
        urgent = true;
      }
      if (state === "starting" || state === "running") {
        if (!configured) this.stop(group, `${c.self} stops ${group}: removed from the config`, out);
        else if (!mine)
          this.stop(
            group,
            `${c.self} stops ${group}: assigned to ${f?.assignments[group] ?? "no node"} by ${f?.from} (term ${f?.term})`,
            out,
          );
        else if (c.now >= safeUntil) {
          const left = safeUntil + c.fenceMargin - c.now;
          this.stop(
            group,
            `${c.self} stops ${group}: its lease ${left > 0 ? `ends in ${Math.round(left)}ms` : "ran out"} without a quorum (self-fence)`,
            out,
          );
        }
      } else if (state === "stopped") {
        if (mine && c.now < safeUntil) {
          this.set(group, "starting");
          out.actions.push({ kind: "start", group });
          out.decisions.push(
            `${c.self} starts ${group}: assigned by ${f?.from} (term ${f?.term}) and its lease is held`,
          );
          urgent = true;
        } else if (!mine && c.wants(group)) {
          c.release(group);
          urgent = true;
        }
        if (!configured && !c.wants(group)) this.forget(group);
      }
    }
    return urgent;
  }

  /** One step for a clone: start it where it may run, stop it where it may not. */
  private driveClone(group: string, state: GroupState, c: DriveContext, out: DriveOutput): boolean {
    const blocked = this.configured.has(group) ? c.cloneBlocked(group) : "removed from the config";
    if (c.wants(group)) c.release(group); // it was a locked group before a reload
    if ((state === "starting" || state === "running") && blocked !== undefined) {
      this.stop(group, `${c.self} stops clone ${group}: ${blocked}`, out);
      return true;
    }
    if (state === "stopped" && blocked === undefined) {
      this.set(group, "starting");
      out.actions.push({ kind: "start", group });
      out.decisions.push(`${c.self} starts clone ${group}: a clone runs on every eligible node`);
      return true;
    }
    if (state === "stopped" && !this.configured.has(group)) this.forget(group);
    return false;
  }
}
