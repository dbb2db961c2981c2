// One cluster member: membership, votes, leases, leadership, placement and group start/stop, as a pure
// state machine. Time and messages come in; heartbeats, acks, start/stop actions and one-line decisions
// go out. The daemon and the simulator drive the very same code.
export type { GroupState };
export type { ClusterAction, ClusterEvent, ClusterStatus, ClusterView } from "./events.js";
import { noOutput, type Machine, type MachineInput, type StepOutput } from "../machine.js";
import { applyCommand, type AdminState, type Command } from "./admin.js";
import { Announcement } from "./announcement.js";
import type { ClusterAction, ClusterEvent, ClusterStatus, ClusterView } from "./events.js";
import { CommandDesk } from "./commands.js";
import type { GroupState } from "./group-driver.js";
import { LocalState } from "./local-state.js";
import { chooseLeadership, leaderClaimants } from "./leadership.js";
import { LockHolder } from "./locks.js";
import type { Ack, ClusterMsg, CommandMsg, Heartbeat } from "./messages.js";
import { Peers } from "./peers.js";
import { place, type NodeView } from "./placement.js";
import { packVerdict, unpackVerdict, type TrackVerdict } from "./track.js";
import { LEADER_LOCK, leadershipOrder, type ClusterSpec } from "./spec.js";
import { twoNodeGuardFor, type SoloDecision, type TwoNodeGuard } from "./two-node.js";
import { Voter, type AckDue } from "./voter.js";
import { VoteTable } from "./votes.js";

/** Per-peer latest heartbeat contents. */
type Report = Pick<Heartbeat, "claims" | "running" | "standby" | "failures" | "term" | "alive"> & {
  untracked: Record<string, TrackVerdict>;
  positions: Record<string, string>;
};

/** Parts a test may replace (the simulator's mutant machines). */
export interface NodeParts {
  /** Makes the promise table of this voter. */
  voteTable?: (lease: number, bootAt: number, extensionOf: (lock: string) => number) => VoteTable;
}

/** A cluster member's core. `linkCount` gives the number of links (addresses) of each peer. */
export class ClusterNode implements Machine<ClusterMsg, ClusterAction, ClusterEvent, ClusterView> {
  private seq = 0;
  private term = 0;
  private nextBeat: number;
  private urgent = false;
  private peers: Peers;
  private votes: VoteTable;
  private voter: Voter;
  private locks: LockHolder;
  private reports = new Map<string, Report>();
  private ann: Announcement;
  /** This node's own groups, failures, probes, positions, standby and settledness. */
  private local: LocalState;
  /** After stepping aside for a stronger candidate, no new bid for leadership before this. */
  private leaderBackoffUntil = -Infinity;
  private desk: CommandDesk;
  /** When our own vote table will stop refusing one of our claims (then we claim again at once). */
  private selfBlockedUntil = -Infinity;
  private order: string[];
  private votesOf: Map<string, number>;
  private out: StepOutput<ClusterMsg, ClusterAction> = noOutput();
  private guard: TwoNodeGuard | undefined;
  private readonly isVoter: boolean;
  private solo: SoloDecision | undefined;
  /** two_node: locks held (with both votes) when the peer was last heard; these may be kept alone. */
  private keptLocks = new Set<string>();
  /** Members heard settled since boot (this node's votes need no extended quiet once all were). */
  private heardSettled = new Set<string>();
  /** Whether the first step has asked the resource layer to probe for an earlier incarnation. */
  private probed = false;
  /** What the leader last said about groups held on a node failing their tracks (logged once). */
  private heldSaid: Record<string, string> = {};
  /** Leader: since when each node has passed each group's track checks ("node group" → local time). */
  private passing = new Map<string, number>();
  /** The time of the current step. */
  private lastNow = 0;

  constructor(
    private spec: ClusterSpec,
    readonly id: string,
    private inc: number,
    private bootAt: number,
    linkCount: (peer: string) => number = () => 1,
    parts: NodeParts = {},
  ) {
    const names = spec.members.map((m) => m.name);
    this.peers = new Peers(id, names, linkCount, spec.lease);
    const voteTable = parts.voteTable ?? ((lease, at, extensionOf) => new VoteTable(lease, at, extensionOf));
    this.votes = voteTable(spec.lease, bootAt, (lock) => this.extension(lock));
    this.voter = new Voter(this.votes);
    this.votesOf = new Map(spec.members.map((m) => [m.name, m.votes]));
    this.locks = new LockHolder((v) => this.votesOf.get(v) ?? 0, spec.quorumVotes, spec.lease, spec.driftMargin);
    this.order = leadershipOrder(spec.members);
    this.ann = new Announcement(id);
    this.local = new LocalState(id, spec.groups);
    this.nextBeat = bootAt;
    this.desk = new CommandDesk(2 * spec.lease + 2000, spec.interval);
    this.guard = twoNodeGuardFor(spec, id, this.order, bootAt);
    this.isVoter = (this.votesOf.get(id) ?? 0) > 0;
  }

  /** Notes a member heard settled; once all were, restarted-voter quiet needs no stop-budget extension. */
  private heardSettledFrom(member: string): void {
    if (this.votes.allSettled) return;
    this.heardSettled.add(member);
    if (this.spec.members.every((m) => this.heardSettled.has(m.name))) {
      this.votes.allSettled = true;
      this.decide(
        `${this.id}: every member reported nothing left from before a restart; its promises need no extra wait`,
      );
    }
  }

  /** How much longer than the lease a voter keeps a silent holder's promise on `lock`: the group's stop
   * budget, stretched so it covers the holder's clock running slower than the voter's. */
  private extension(lock: string): number {
    const budget = this.spec.groups.find((g) => g.name === lock)?.stopBudget ?? 0;
    return budget > 0 ? Math.ceil(budget / (1 - this.spec.driftMargin)) : 0;
  }

  /** The extensions of the claimed locks that have one (sent with heartbeats). */
  private budgets(claims: readonly string[]): Record<string, number> | undefined {
    const entries = claims.map((l) => [l, this.extension(l)] as const).filter(([, e]) => e > 0);
    return entries.length > 0 ? Object.fromEntries(entries) : undefined;
  }

  /** Local time until which this node holds `lock`: a quorum of grants, or under two_node its own vote. */
  private leaseEnd(lock: string): number {
    const q = this.locks.heldUntil(lock);
    const s = this.solo;
    if (!s || !(s.take || (s.keep && this.keptLocks.has(lock)))) return q;
    return Math.max(q, this.locks.ownUntil(lock, this.id));
  }

  private holds(lock: string, now: number): boolean {
    return now < this.leaseEnd(lock);
  }

  /** two_node: tracks the peer and decides whether this node may act alone. */
  private twoNode(now: number): void {
    if (!this.guard) return;
    const peer = this.guard.peer;
    const alive = this.peers.alive(peer, now);
    if (alive) this.keptLocks = new Set(this.locks.claims().filter((l) => now < this.locks.heldUntil(l)));
    this.solo = this.guard.decide(
      now,
      alive,
      now - Math.max(this.bootAt, this.peers.get(peer)?.lastHeard ?? -Infinity),
    );
    if (this.solo.reason) this.decide(this.solo.reason);
    if (this.solo.fence) this.out.actions.push({ kind: "fence", node: this.solo.fence });
  }

  /** Safety margin before a lease ends at which running groups are stopped. */
  private get fenceMargin(): number {
    return this.spec.interval;
  }

  step(now: number, input: MachineInput<ClusterMsg, ClusterEvent>): StepOutput<ClusterMsg, ClusterAction> {
    this.out = noOutput();
    this.lastNow = now;
    if (!this.probed) this.out.actions.push({ kind: "probe" });
    this.probed = true;
    if (input.kind === "message") this.receive(now, input.from, input.msg, input.link ?? 0);
    else if (input.kind === "local") this.onEvent(input.event, now);
    for (const ack of this.voter.rejudge(now)) this.sendAck(ack);
    this.twoNode(now);
    this.decideLeadership(now);
    this.flushCommands(now);
    this.followAdmin();
    this.placeGroups(now);
    this.driveGroups(now);
    if (this.selfBlockedUntil > -Infinity && now >= this.selfBlockedUntil) {
      this.selfBlockedUntil = -Infinity;
      this.urgent = true;
    }
    if (now >= this.nextBeat || this.urgent) this.beat(now);
    this.out.wakeAt = this.nextWake(now);
    return this.out;
  }

  private decide(sentence: string): void {
    this.out.decisions.push(sentence);
  }

  private receive(now: number, from: string, msg: ClusterMsg, link: number): void {
    if (msg.from !== from) {
      this.peers.drop("sender-mismatch");
      return;
    }
    const prevInc = this.peers.get(from)?.inc ?? -1;
    if (this.peers.accept(now, from, msg.inc, msg.seq, link) !== undefined) return;
    if (msg.inc > prevInc && prevInc >= 0) {
      this.votes.forget(from);
      this.decide(`${this.id} sees ${from} restarted (incarnation ${msg.inc}): its old promises are void`);
    }
    if (msg.type === "ack") return this.onAck(msg);
    if (msg.type === "cmd") return this.onCommandMsg(msg);
    if (msg.type === "cmdres") {
      const r = this.desk.answered(msg.id, msg.ok, msg.message);
      if (r) this.out.actions.push({ kind: "command-result", ...r });
      return;
    }
    this.onHeartbeat(now, msg);
  }

  private onAck(msg: Ack): void {
    if (msg.ackInc !== this.inc) return;
    this.term = Math.max(this.term, msg.term);
    this.locks.answer(msg.from, msg.ackSeq, msg.granted, msg.denied);
  }

  private onHeartbeat(now: number, hb: Heartbeat): void {
    if (hb.settled) this.heardSettledFrom(hb.from);
    this.reports.set(hb.from, {
      claims: hb.claims,
      running: hb.running,
      standby: hb.standby,
      failures: hb.failures,
      term: hb.term,
      alive: hb.alive,
      untracked: Object.fromEntries(Object.entries(hb.track ?? {}).map(([g, code]) => [g, unpackVerdict(code)])),
      positions: hb.positions ?? {},
    });
    this.term = Math.max(this.term, hb.term, hb.leader?.term ?? 0);
    if (hb.leader) this.ann.heard(hb.from, hb.leader, now);
    if (!this.isVoter) return;
    const ack = this.voter.judge(now, hb);
    if (ack) this.sendAck(ack);
  }

  private sendAck({ to, ackInc, ackSeq, granted, denied }: AckDue): void {
    this.out.sends.push({
      to,
      msg: {
        type: "ack",
        from: this.id,
        inc: this.inc,
        seq: ++this.seq,
        ackInc,
        ackSeq,
        term: this.term,
        granted,
        denied,
      },
    });
  }

  private onEvent(e: ClusterEvent, now: number): void {
    const handled = this.local.onEvent(e, now, this.admin, this.out);
    if (handled !== undefined) {
      if (handled === "urgent") this.urgent = true;
      return;
    }
    switch (e.kind) {
      case "command":
        this.desk.submit(e.id, e.cmd, now);
        return;
      case "settled":
        if (!this.local.settled) this.decide(`${this.id}: nothing of an earlier incarnation is active here`);
        this.local.settled = true;
        this.heardSettledFrom(this.id);
        this.urgent = true;
        return;
      case "fenced":
        if (this.guard && e.node === this.guard.peer) this.decide(this.guard.fenceResult(e.ok, now));
        return;
      case "tiebreaker":
        this.guard?.setTiebreaker(e.ok);
        return;
      case "groups":
        this.spec = { ...this.spec, groups: e.groups };
        this.local.configure(e.groups, this.out);
        this.decide(`${this.id} takes the reloaded groups: ${e.groups.map((g) => g.name).join(", ") || "none"}`);
        this.urgent = true;
        return;
    }
  }

  private decideLeadership(now: number): void {
    const holds = this.holds(LEADER_LOCK, now);
    const choice = chooseLeadership({
      self: this.id,
      now,
      interval: this.spec.interval,
      lease: this.spec.lease,
      order: this.order,
      alive: (n) => n === this.id || this.peers.alive(n, now),
      claimants: leaderClaimants(
        this.reports,
        (n) => this.peers.alive(n, now),
        (n) => this.votesOf.get(n) ?? 0,
        this.spec.quorumVotes,
      ),
      lastLeader: this.ann.lastLeader,
      bootAt: this.bootAt,
      holds,
      wants: this.locks.wants(LEADER_LOCK),
      refusedFor: this.locks.refusedFor(LEADER_LOCK),
      backoffUntil: this.leaderBackoffUntil,
    });
    if (choice.reason) this.decide(choice.reason);
    if (choice.want && !this.locks.wants(LEADER_LOCK)) {
      this.locks.want(LEADER_LOCK, this.seq + 1);
      this.urgent = true;
    } else if (!choice.want && this.locks.wants(LEADER_LOCK)) {
      this.locks.release(LEADER_LOCK);
      if (!holds) this.leaderBackoffUntil = now + this.spec.lease;
      this.urgent = true;
    }
    const nowHolds = this.holds(LEADER_LOCK, now);
    if (nowHolds && !this.ann.leading) {
      this.term += 1;
      this.decide(
        `${this.id} leads term ${this.term}: ${this.ann.lead(this.term, now, this.spec.lease, (n) => this.peers.alive(n, now))}`,
      );
      this.urgent = true;
    } else if (!nowHolds && this.ann.leading) {
      this.decide(
        `${this.id} steps down from term ${this.ann.leading.term}: ${this.locks.wants(LEADER_LOCK) ? "lease ran out without a quorum" : "handed over"}`,
      );
      this.ann.stepDown();
    }
    this.ann.refresh(now);
  }

  private get admin(): AdminState {
    return this.ann.admin;
  }

  /** The leader applies a command to its admin state and announces it; returns the sentence or error. */
  private applyAsLeader(cmd: Command): { ok: boolean; message: string } {
    const leading = this.ann.leading;
    if (!leading) return { ok: false, message: "not the leader" };
    const known = {
      nodes: this.spec.members.map((m) => m.name),
      runners: this.spec.members.filter((m) => !m.witness).map((m) => m.name),
      groups: this.spec.groups.map((g) => g.name),
      clones: this.spec.groups.filter((g) => g.clone).map((g) => g.name),
    };
    const r = applyCommand(leading.admin, cmd, known);
    if (!r.ok) return { ok: false, message: r.error };
    this.ann.change(leading, { admin: r.state });
    this.decide(`${r.reason} (leader ${this.id}, term ${leading.term})`);
    this.urgent = true;
    return { ok: true, message: r.reason };
  }

  private onCommandMsg(msg: CommandMsg): void {
    if (!this.ann.leading) return;
    const key = `${msg.from}/${msg.inc}/${msg.id}`;
    const r = this.desk.seen(key) ?? { id: msg.id, ...this.applyAsLeader(msg.cmd) };
    this.desk.remember(key, r);
    this.out.sends.push({
      to: msg.from,
      msg: { type: "cmdres", from: this.id, inc: this.inc, seq: ++this.seq, id: msg.id, ok: r.ok, message: r.message },
    });
  }

  /** Applies our own pending commands when leading, else forwards them to the leader we follow. */
  private flushCommands(now: number): void {
    const followed = this.ann.following;
    if (this.ann.leading) {
      for (const { id, cmd } of this.desk.takeAll())
        this.out.actions.push({ kind: "command-result", id, ...this.applyAsLeader(cmd) });
    } else if (followed && followed.from !== this.id) {
      for (const { id, cmd } of this.desk.due(now))
        this.out.sends.push({
          to: followed.from,
          msg: { type: "cmd", from: this.id, inc: this.inc, seq: ++this.seq, id, cmd },
        });
    }
    for (const r of this.desk.expired(now)) this.out.actions.push({ kind: "command-result", ...r });
  }

  /** Follows the announced admin state: `cleanup` counters that grew clear this node's failures. */
  private followAdmin(): void {
    if (this.local.followAdmin(this.admin, this.out)) this.urgent = true;
  }

  private nodeViews(now: number): NodeView[] {
    return this.spec.members.map((m) => {
      const self = m.name === this.id;
      const r = this.reports.get(m.name);
      const p = this.peers.get(m.name);
      return {
        name: m.name,
        alive: self || this.peers.alive(m.name, now),
        aliveSince: self ? this.bootAt : (p?.aliveSince ?? now),
        silentFor: self ? 0 : now - (p?.lastHeard ?? -Infinity),
        witness: m.witness,
        priority: m.priority,
        standby: (self ? this.local.standby : (r?.standby ?? false)) || this.admin.standby.includes(m.name),
        failures: self ? this.local.failures.counts(now) : (r?.failures ?? {}),
        claims: self ? this.locks.claims() : (r?.claims ?? []),
        running: self ? this.local.groups.active() : (r?.running ?? []),
        untracked: self ? this.local.ownVerdicts() : (r?.untracked ?? {}),
        positions: self ? this.local.ownPositions() : (r?.positions ?? {}),
      };
    });
  }

  /** Adds to each view since when the node has passed each group's track checks, as this node saw it. */
  private withPassingSince(views: NodeView[], now: number): NodeView[] {
    return views.map((v) => {
      const since: Record<string, number> = {};
      for (const g of this.spec.groups) {
        if (!g.track || g.track.length === 0) continue;
        const key = `${v.name} ${g.name}`;
        if (!v.alive || v.untracked?.[g.name]) this.passing.delete(key);
        else {
          if (!this.passing.has(key)) this.passing.set(key, now);
          since[g.name] = this.passing.get(key) as number;
        }
      }
      return { ...v, passingSince: since };
    });
  }

  /** For a clone: why it may not run here now (undefined: it may). */
  private cloneBlocked(group: string): string | undefined {
    const me = this.spec.members.find((m) => m.name === this.id);
    return this.local.cloneBlocked(group, me, this.admin, this.lastNow);
  }

  private placeGroups(now: number): void {
    const leading = this.ann.leading;
    if (!leading) return;
    const result = place({
      now,
      groups: this.spec.groups,
      nodes: this.withPassingSince(this.nodeViews(now), now),
      previous: leading.assignments,
      failbackSettle: this.spec.failbackSettle,
      moves: leading.admin.moves,
      waitForPreferredUntil: this.bootAt + this.spec.failbackSettle,
    });
    for (const [g, sentence] of Object.entries(result.held ?? {}))
      if (this.heldSaid[g] !== sentence && !result.decisions.includes(sentence))
        this.decide(`${sentence} (leader ${this.id}, term ${leading.term})`);
    this.heldSaid = result.held ?? {};
    if (result.decisions.length === 0) return;
    for (const d of result.decisions) this.decide(`${d} (leader ${this.id}, term ${leading.term})`);
    this.ann.change(leading, { assignments: result.assignments });
    this.urgent = true;
  }

  private driveGroups(now: number): void {
    if (this.admin.maintenance) return;
    const urgent = this.local.groups.drive(
      {
        self: this.id,
        now,
        following: this.ann.following,
        fenceMargin: this.fenceMargin,
        leaseEnd: (g) => this.leaseEnd(g),
        wants: (g) => this.locks.wants(g),
        want: (g) => this.locks.want(g, this.seq + 1),
        release: (g) => this.locks.release(g),
        cloneBlocked: (g) => this.cloneBlocked(g),
      },
      this.out,
    );
    if (urgent) this.urgent = true;
  }

  private beat(now: number): void {
    this.urgent = false;
    this.nextBeat = now + this.spec.interval;
    const seq = ++this.seq;
    const claims = this.locks.claims();
    const budgets = this.budgets(claims);
    this.locks.sentHeartbeat(seq, now);
    if (this.isVoter) {
      const own = this.votes.judge(now, this.id, claims, this.local.groups.uncleanGroups(), budgets ?? {});
      this.locks.answer(this.id, seq, own.granted, own.denied);
      this.selfBlockedUntil =
        own.denied.length === 0
          ? -Infinity
          : Math.max(...own.denied.map(([l]) => Math.max(this.votes.quietEnd(l), this.votes.promiseEnd(l))));
    }
    const hb: Heartbeat = {
      type: "hb",
      from: this.id,
      inc: this.inc,
      seq,
      term: this.term,
      claims,
      ...(budgets ? { budgets } : {}),
      settled: this.local.settled,
      running: this.local.groups.active(),
      unclean: this.local.groups.uncleanGroups(),
      standby: this.local.standby,
      alive: this.peers
        .all()
        .filter((p) => this.peers.alive(p.name, now))
        .map((p) => p.name),
      failures: this.local.failures.counts(now),
      ...this.trackField(),
      ...(this.local.positions.size > 0 ? { positions: this.local.ownPositions() } : {}),
      ...(this.ann.leading ? { leader: this.ann.leading } : {}),
    };
    for (const m of this.spec.members) if (m.name !== this.id) this.out.sends.push({ to: m.name, msg: hb });
  }

  /** The heartbeat's `track` field: present only when some group's checks fail here. */
  private trackField(): { track?: Record<string, number> } {
    const verdicts = Object.entries(this.local.ownVerdicts());
    return verdicts.length > 0 ? { track: Object.fromEntries(verdicts.map(([g, v]) => [g, packVerdict(v)])) } : {};
  }

  private nextWake(now: number): number {
    const times = [
      ...this.locks.claims().map((lock) => this.leaseEnd(lock) - this.fenceMargin),
      this.guard?.nextCheck() ?? Infinity,
      this.local.failures.nextExpiry(),
      this.leaderBackoffUntil,
      this.desk.nextDue(),
      ...this.peers.all().map((p) => p.lastHeard + this.spec.lease),
      ...this.voter.wakeTimes(),
      this.selfBlockedUntil,
    ];
    return Math.min(this.nextBeat, ...times.filter((t) => t > now));
  }

  observe(now: number): ClusterView {
    return {
      name: this.id,
      inc: this.inc,
      term: this.term,
      isLeader: this.ann.leading !== undefined && this.holds(LEADER_LOCK, now),
      leader: this.ann.following?.from,
      holds: this.locks.claims().filter((l) => this.holds(l, now)),
      groups: this.local.groups.states(),
      assignments: this.ann.following?.assignments ?? {},
      standby: this.local.standby || this.admin.standby.includes(this.id),
      admin: this.admin,
    };
  }

  /** For every group not stopped here: how long (ms) the guard may leave it running: until the fence
   * margin before its lease ends, when the node itself would stop it, so that removing its VIPs has that
   * margin to finish before another node may add them (clones are not covered). */
  coverVersion(): number {
    return this.local.groups.version;
  }

  groupCover(now: number): Record<string, number> {
    const out: Record<string, number> = {};
    // A clone is not the guard's: nothing elsewhere depends on it stopping here, so a daemon that died
    // leaves it running (as pacemaker leaves resources when it dies) and the next daemon adopts it.
    for (const g of this.local.groups.active())
      if (!this.local.groups.isClone(g)) out[g] = Math.max(0, this.leaseEnd(g) - this.fenceMargin - now);
    return out;
  }

  peerLinks(now: number): { name: string; links: boolean[] }[] {
    return this.peers.all().map((p) => ({ name: p.name, links: this.peers.links(p.name, now) }));
  }

  status(now: number): ClusterStatus {
    return {
      ...this.observe(now),
      assignments: { ...(this.ann.following?.assignments ?? {}) },
      failures: this.local.failures.counts(now),
      peers: this.peers.all().map((p) => {
        const r = this.reports.get(p.name);
        return {
          name: p.name,
          alive: this.peers.alive(p.name, now),
          links: this.peers.links(p.name, now),
          running: r?.running ?? [],
          standby: r?.standby ?? false,
          failures: r?.failures ?? {},
          track: this.local.reasons(r?.untracked ?? {}),
        };
      }),
      track: this.local.reasons(this.local.ownVerdicts()),
      clones: this.spec.groups.filter((g) => g.clone).map((g) => g.name),
      drops: { ...this.peers.drops },
    };
  }
}
