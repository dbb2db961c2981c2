// One cluster member coordinating through etcd (`coordination: etcd`), as a pure state machine: etcd's
// answers, resource outcomes and operator input come in with the time; etcd requests, start/stop actions
// and one-line decisions go out. The same rules as the builtin backend, on etcd's primitives:
// - a session lease per node, valid from the send time of the keepalive that renewed it (coord-session);
// - leadership and every group are locks: keys created only if absent, on the holder's session lease,
//   whose create_revision is the fencing token every leader write is guarded by;
// - the holder stops a group (self-fence) the fence margin before its session's validity ends; a lock
//   that vanished with its holder's lease (not given back after a clean stop) makes the next holder wait
//   the group's stop budget before it starts, as builtin voters wait lease + budget;
// - placement, the group driver, failures, track checks and operator commands are the builtin core's.
// State is learned by a linearizable read of the prefix every poll interval, which returns only the keys
// changed since the read before (key-mirror.ts); every decision that must not race is a transaction that
// says so in its compares.
import { noOutput, type Machine, type MachineInput, type StepOutput } from "../machine.js";
import { applyCommand, EMPTY_ADMIN, type AdminState } from "../cluster/admin.js";
import type { ClusterAction, ClusterEvent, ClusterStatus, ClusterView } from "../cluster/events.js";
import type { FollowedAssignment } from "../cluster/group-driver.js";
import { LocalState } from "../cluster/local-state.js";
import { place, type NodeView } from "../cluster/placement.js";
import { LEADER_LOCK, type ClusterSpec } from "../cluster/spec.js";
import { packVerdict, unpackVerdict } from "../cluster/track.js";
import { CoordKeys, type NodeReport, type Snapshot } from "./coord-keys.js";
import { SessionClock } from "./coord-session.js";
import { ETCD_PEER, type EtcdAnswer, type EtcdRequest, type EtcdWire } from "./coord-wire.js";
import { KeyMirror } from "./key-mirror.js";
import { MAX_TXN_OPS, type KeyRange, type Op, type Txn } from "./kv.js";

/** Lock acquisitions (and, apart, releases) in flight at once: a node given hundreds of groups takes their
 * locks a batch at a time instead of opening hundreds of requests and handling their answers in one burst. */
export const MAX_LOCK_TXNS_IN_FLIGHT = 16;

/** What the etcd backend adds to the cluster spec. */
export interface EtcdCoordSpec extends ClusterSpec {
  /** Key prefix (cluster.etcd.prefix). */
  prefix: string;
  /** Session lease TTL, whole seconds. */
  ttlSeconds: number;
  /** How often every key is read, ms. */
  pollEvery: number;
  /** A request unanswered this long is given up (its outcome unknown), ms. */
  requestTimeout: number;
}

/** What a request in flight was for. */
type Purpose =
  | { p: "grant" }
  | { p: "keepalive"; lease: string }
  | { p: "poll"; range: KeyRange }
  | { p: "leader"; lease: string }
  | { p: "leader-write"; assignments?: Record<string, string | null>; admin?: AdminState; commands: string[] }
  | { p: "acquire"; group: string; lease: string }
  | { p: "release"; group: string }
  | { p: "status"; text: string; lease: string }
  | { p: "command"; key: string }
  | { p: "result-read"; key: string };

interface Pending {
  purpose: Purpose;
  sentAt: number;
}

/** A group lock this node holds. */
interface Held {
  token: number;
  lease: string;
  /** Local time from which the group may start (a lock that vanished with a lease: + stop budget). */
  startableAt: number;
}

/** A cluster member on etcd. */
export class EtcdCoordNode implements Machine<EtcdWire, ClusterAction, ClusterEvent, ClusterView> {
  private readonly keys: CoordKeys;
  private readonly sessions: SessionClock;
  /** This node's own groups, failures, probes, positions, standby and settledness. */
  private readonly local: LocalState;
  private pending = new Map<number, Pending>();
  private nextId = 1;
  private snap: Snapshot | undefined;
  /** The snapshot the leader last placed groups on. */
  private placedOn: Snapshot | undefined;
  /** The keys as of the last read, so that each poll asks only for what changed since. */
  private readonly mirror: KeyMirror;
  private nextPoll: number;
  private held = new Map<string, Held>();
  private wants = new Set<string>();
  /** Locks given up here whose deletion etcd has not confirmed yet (retried with their token). */
  private releasing = new Map<string, Held>();
  /** Per group, the store revision at which this node's release was confirmed: a read older than it may
   * still show the deleted lock, and must not be taken for a lock held now. */
  private releasedAt = new Map<string, number>();
  /** Per group, until when a lock this node lost with its session still owed its stop-budget wait (the
   * holder before it did not give it back): the node's own earlier lease then does not make it clean. */
  private owed = new Map<string, number>();
  private leading: { token: number; lease: string; since: number } | undefined;
  /** Assignments this leader wrote, until a read shows them (revision of the write). */
  private written: { revision: number; assignments: Record<string, string | null> } | undefined;
  private handledCommands = new Set<string>();
  /** Commands submitted here: key → local id and deadline. */
  private submitted = new Map<string, { id: number; until: number }>();
  private firstSeen = new Map<string, number>();
  private lastSeen = new Map<string, number>();
  private probed = false;
  private reported: { text: string; lease: string; revision: number } | undefined;
  private heldSaid: Record<string, string> = {};
  private out: StepOutput<EtcdWire, ClusterAction> = noOutput();
  private now = 0;

  constructor(
    private spec: EtcdCoordSpec,
    readonly id: string,
    private inc: number,
    private bootAt: number,
  ) {
    this.keys = new CoordKeys(spec.prefix);
    this.mirror = new KeyMirror(this.keys.all);
    this.sessions = new SessionClock(spec.driftMargin);
    this.local = new LocalState(id, spec.groups);
    this.nextPoll = bootAt;
  }

  /** Stop this long before the session's validity ends (as builtin: one interval). */
  private get fenceMargin(): number {
    return this.spec.interval;
  }

  private get admin(): AdminState {
    return this.snap?.admin ?? EMPTY_ADMIN;
  }

  private decide(sentence: string): void {
    this.out.decisions.push(sentence);
  }

  step(now: number, input: MachineInput<EtcdWire, ClusterEvent>): StepOutput<EtcdWire, ClusterAction> {
    this.out = noOutput();
    this.now = now;
    if (!this.probed) {
      this.probed = true;
      this.out.actions.push({ kind: "probe" });
    }
    if (input.kind === "message" && input.from === ETCD_PEER) this.answer(now, input.msg);
    else if (input.kind === "local") this.event(now, input.event);
    this.expire(now);
    this.keepSession(now);
    this.poll(now);
    if (this.snap) {
      this.local.followAdmin(this.admin, this.out);
      this.lead(now);
      this.driveGroups(now);
      this.lockRequests(now);
      this.report(now);
      this.commands(now);
    }
    this.out.wakeAt = this.nextWake(now);
    return this.out;
  }

  private send(req: EtcdRequest, purpose: Purpose, now: number): void {
    const id = this.nextId++;
    this.pending.set(id, { purpose, sentAt: now });
    this.out.sends.push({ to: ETCD_PEER, msg: { t: "req", id, req } });
  }

  private inFlight(test: (p: Purpose) => boolean): boolean {
    for (const { purpose } of this.pending.values()) if (test(purpose)) return true;
    return false;
  }

  /** Gives up requests unanswered for the request timeout (their outcome is unknown; a read tells). */
  private expire(now: number): void {
    for (const [id, r] of this.pending) {
      if (now - r.sentAt < this.spec.requestTimeout) continue;
      this.pending.delete(id);
      if (r.purpose.p === "keepalive") this.sessions.retryKeepaliveAt(now);
    }
  }

  private answer(now: number, msg: EtcdWire): void {
    if (msg.t === "req") return;
    const r = this.pending.get(msg.id);
    if (!r) return;
    this.pending.delete(msg.id);
    const p = r.purpose;
    if (msg.t === "err") {
      if (p.p === "keepalive" && msg.code === "E_ETCD_LEASE_LOST") this.endSession("etcd no longer has its lease");
      else if (p.p === "keepalive") this.sessions.retryKeepaliveAt(now + this.spec.interval);
      if (p.p === "leader-write" && msg.code === "E_ETCD_FENCED") this.stepDown("its leader key changed");
      return;
    }
    this.answered(now, p, r.sentAt, msg.answer);
  }

  private answered(now: number, p: Purpose, sentAt: number, a: EtcdAnswer): void {
    if (p.p === "grant" && a.op === "grant") {
      this.sessions.granted(a.lease, a.ttlSeconds, sentAt);
      this.decide(`${this.id} opens an etcd session: lease ${a.lease}, ttl ${a.ttlSeconds}s`);
    } else if (p.p === "keepalive" && a.op === "keepalive") {
      if (a.ttlSeconds <= 0) this.endSession("etcd no longer has its lease");
      else this.sessions.renewed(p.lease, a.ttlSeconds, sentAt);
    } else if (p.p === "poll" && a.op === "range") {
      const read = this.mirror.apply(p.range, a.result);
      if (!read) {
        this.nextPoll = now;
        return;
      }
      if (this.snap && read.result.revision < this.snap.revision) return;
      this.snap =
        read.changed || !this.snap ? this.keys.read(read.result) : { ...this.snap, revision: read.result.revision };
    } else if (a.op === "txn") this.txnAnswered(now, p, a.result.succeeded, a.result.revision, a.result.responses);
  }

  private txnAnswered(
    now: number,
    p: Purpose,
    ok: boolean,
    revision: number,
    responses: { kvs: { lease: string; createRevision: number; value: string }[] }[],
  ): void {
    switch (p.p) {
      case "leader":
        if (ok && this.sessions.session?.lease === p.lease) this.becomeLeader(revision, p.lease, now);
        return;
      case "leader-write":
        if (!ok) return this.stepDown("a write guarded by its leader key was refused (another node leads)");
        if (p.assignments) this.written = { revision, assignments: p.assignments };
        for (const c of p.commands) this.handledCommands.add(c);
        return;
      case "acquire": {
        if (!ok || this.sessions.session?.lease !== p.lease) return;
        const before = responses[0]?.kvs[0];
        const state = before ? parseState(before.value) : undefined;
        const clean =
          !before ||
          state?.clean === true ||
          (state !== undefined &&
            this.sessions.mine.has(state.lease) &&
            this.local.groups.state(p.group) === "stopped" &&
            !((this.owed.get(p.group) ?? -Infinity) > now));
        const wait = clean ? 0 : this.budgetWait(p.group);
        if (!this.wants.has(p.group)) {
          // No longer wanted (assigned elsewhere while the request was on its way): given straight back.
          this.releasing.set(p.group, { token: revision, lease: p.lease, startableAt: now + wait });
          return;
        }
        this.held.set(p.group, { token: revision, lease: p.lease, startableAt: now + wait });
        this.decide(
          `${this.id} takes the lock of ${p.group} (token ${revision})${wait > 0 ? `: its last holder ${state?.holder} did not give it back, so ${p.group} waits ${wait}ms (its stop budget) before it starts` : ""}`,
        );
        return;
      }
      case "release":
        this.releasing.delete(p.group);
        this.releasedAt.set(p.group, revision);
        return;
      case "status":
        if (ok) this.reported = { text: p.text, lease: p.lease, revision };
        return;
      default:
        return;
    }
  }

  /** How long a new holder waits before starting a group whose last holder did not give its lock back:
   * the group's stop budget, stretched for the other clock running slower. */
  protected budgetWait(group: string): number {
    const budget = this.spec.groups.find((g) => g.name === group)?.stopBudget ?? 0;
    return Math.ceil(budget / (1 - this.spec.driftMargin));
  }

  private becomeLeader(token: number, lease: string, now: number): void {
    if (this.leading?.token === token) return;
    this.leading = { token, lease, since: now };
    this.written = undefined;
    this.decide(`${this.id} leads term ${token}: it took the leader key in etcd`);
  }

  private stepDown(why: string): void {
    if (!this.leading) return;
    this.decide(`${this.id} steps down from term ${this.leading.token}: ${why}`);
    this.leading = undefined;
    this.written = undefined;
  }

  private endSession(why: string): void {
    const was = this.sessions.end();
    if (!was) return;
    this.decide(`${this.id}'s etcd session (lease ${was.lease}) ended: ${why}; it holds nothing any more`);
    for (const [g, h] of [...this.held, ...this.releasing])
      if (h.startableAt > this.now) this.owed.set(g, h.startableAt);
    this.held.clear();
    this.releasing.clear();
    this.reported = undefined;
    if (this.leading) this.stepDown("its session ended");
  }

  private event(now: number, e: ClusterEvent): void {
    if (this.local.onEvent(e, now, this.admin, this.out) !== undefined) return;
    switch (e.kind) {
      case "command":
        return this.submit(now, e.id, e.cmd);
      case "settled":
        if (!this.local.settled) this.decide(`${this.id}: nothing of an earlier incarnation is active here`);
        this.local.settled = true;
        return;
      case "groups":
        this.spec = { ...this.spec, groups: e.groups };
        this.local.configure(e.groups, this.out);
        this.decide(`${this.id} takes the reloaded groups: ${e.groups.map((g) => g.name).join(", ") || "none"}`);
        return;
      default:
        return;
    }
  }

  private keepSession(now: number): void {
    const s = this.sessions.session;
    if (s && now >= s.validUntil) this.endSession("no keepalive was answered within its validity");
    if (!this.sessions.session) {
      if (!this.inFlight((p) => p.p === "grant"))
        this.send({ op: "grant", ttlSeconds: this.spec.ttlSeconds }, { p: "grant" }, now);
      return;
    }
    const lease = this.sessions.session.lease;
    if (now >= this.sessions.keepaliveDue() && !this.inFlight((p) => p.p === "keepalive")) {
      this.sessions.keepaliveSent(now);
      this.send({ op: "keepalive", lease }, { p: "keepalive", lease }, now);
    }
  }

  private poll(now: number): void {
    if (now < this.nextPoll || this.inFlight((p) => p.p === "poll")) return;
    this.nextPoll = now + this.spec.pollEvery;
    const range = this.mirror.next();
    this.send({ op: "range", range }, { p: "poll", range }, now);
  }

  /** The assignments in force: the newest of the last read and this leader's last write. */
  private assignments(): Record<string, string | null> {
    const s = this.snap;
    if (this.written && (!s || this.written.revision > s.revision)) return this.written.assignments;
    return s?.assignments ?? {};
  }

  private following(): FollowedAssignment | undefined {
    const lk = this.snap?.leader;
    if (this.leading) return { from: this.id, term: this.leading.token, assignments: this.assignments() };
    // Without a leader key (its session just ended) the assignments in etcd still stand: groups keep
    // running where their locks are held until a new leader changes them.
    if (!lk) return this.snap ? { from: "no leader", term: 0, assignments: this.assignments() } : undefined;
    return { from: lk.value, term: lk.createRevision, assignments: this.assignments() };
  }

  private lead(now: number): void {
    const s = this.snap as Snapshot;
    const session = this.sessions.valid(now);
    const lk = s.leader;
    if (this.leading) {
      const gone = s.revision > this.leading.token && lk?.createRevision !== this.leading.token;
      if (gone) this.stepDown("its leader key is gone from etcd");
      else if (!session || session.lease !== this.leading.lease) this.stepDown("its session is no longer valid");
    }
    if (!this.leading && lk && session && lk.lease === session.lease)
      this.becomeLeader(lk.createRevision, lk.lease, now);
    const me = this.spec.members.find((m) => m.name === this.id);
    if (!lk && !this.leading && session && me && !me.witness && !this.inFlight((p) => p.p === "leader")) {
      const txn: Txn = {
        compare: [{ key: this.keys.leader, target: "create", result: "EQUAL", value: 0 }],
        success: [{ put: { key: this.keys.leader, value: this.id, lease: session.lease } }],
      };
      this.send({ op: "txn", txn }, { p: "leader", lease: session.lease }, now);
    }
    // One placement round per read (each poll answer is a new snapshot), not one per etcd answer.
    if (this.leading && s !== this.placedOn && !this.inFlight((p) => p.p === "leader-write")) {
      this.placedOn = s;
      this.leaderWrites(now, s);
    }
  }

  /** The leader's writes of one round: commands carried out and changed assignments, in one guarded txn. */
  private leaderWrites(now: number, s: Snapshot): void {
    const leading = this.leading as NonNullable<typeof this.leading>;
    let admin = s.admin;
    const ops: Op[] = [];
    const done: string[] = [];
    for (const key of this.handledCommands) if (!s.commands.has(key)) this.handledCommands.delete(key);
    for (const [key, cmd] of s.commands) {
      if (this.handledCommands.has(key) || s.results.has(key)) continue;
      if (ops.length + 3 > MAX_TXN_OPS) break;
      const r = applyCommand(admin, cmd, {
        nodes: this.spec.members.map((m) => m.name),
        runners: this.spec.members.filter((m) => !m.witness).map((m) => m.name),
        groups: this.spec.groups.map((g) => g.name),
        clones: this.spec.groups.filter((g) => g.clone).map((g) => g.name),
      });
      if (r.ok) {
        admin = r.state;
        this.decide(`${r.reason} (leader ${this.id}, term ${leading.token})`);
      }
      const result = r.ok ? { ok: true, message: r.reason } : { ok: false, message: r.error };
      ops.push({ put: { key: this.keys.result(key), value: JSON.stringify(result) } });
      ops.push({ delete: { key: this.keys.command(key) } });
      done.push(key);
    }
    if (done.length > 0) ops.push({ put: { key: this.keys.admin, value: JSON.stringify(admin) } });
    const previous = this.assignments();
    const result = place({
      now,
      groups: this.spec.groups,
      nodes: this.nodeViews(now, s, admin),
      previous,
      failbackSettle: this.spec.failbackSettle,
      moves: admin.moves,
      waitForPreferredUntil: this.bootAt + this.spec.failbackSettle,
    });
    for (const [g, sentence] of Object.entries(result.held ?? {}))
      if (this.heldSaid[g] !== sentence && !result.decisions.includes(sentence))
        this.decide(`${sentence} (leader ${this.id}, term ${leading.token})`);
    this.heldSaid = result.held ?? {};
    const unread = this.written !== undefined && this.written.revision > s.revision;
    const changed = Object.entries(result.assignments).filter(
      ([g, n]) => previous[g] !== n || (s.assignments[g] === undefined && !unread),
    );
    for (const d of result.decisions) this.decide(`${d} (leader ${this.id}, term ${leading.token})`);
    // etcd takes at most MAX_TXN_OPS operations per transaction: the rest is written in the next rounds.
    const writing = changed.slice(0, MAX_TXN_OPS - ops.length);
    for (const [g, n] of writing) ops.push({ put: { key: this.keys.assign(g), value: n ?? "" } });
    if (ops.length === 0) return;
    const assignments =
      writing.length === changed.length ? result.assignments : { ...previous, ...Object.fromEntries(writing) };
    const txn: Txn = {
      compare: [{ key: this.keys.leader, target: "create", result: "EQUAL", value: leading.token }],
      success: ops,
    };
    this.send(
      { op: "txn", txn },
      { p: "leader-write", ...(writing.length > 0 ? { assignments } : {}), admin, commands: done },
      now,
    );
  }

  private nodeViews(now: number, s: Snapshot, admin: AdminState): NodeView[] {
    const claims = new Map<string, string[]>();
    for (const [g, kv] of s.locks) claims.set(kv.value, [...(claims.get(kv.value) ?? []), g]);
    return this.spec.members.map((m) => {
      const r = m.name === this.id ? this.ownReport() : s.reports.get(m.name);
      if (r) {
        if (!this.firstSeen.has(m.name)) this.firstSeen.set(m.name, now);
        this.lastSeen.set(m.name, now);
      } else this.firstSeen.delete(m.name);
      const untracked = Object.fromEntries(Object.entries(r?.track ?? {}).map(([g, v]) => [g, unpackVerdict(v)]));
      return {
        name: m.name,
        alive: r !== undefined,
        aliveSince: this.firstSeen.get(m.name) ?? now,
        silentFor: now - (this.lastSeen.get(m.name) ?? this.leading?.since ?? now),
        witness: m.witness,
        priority: m.priority,
        standby: (r?.standby ?? false) || admin.standby.includes(m.name),
        failures: r?.failures ?? {},
        claims: claims.get(m.name) ?? [],
        running: r?.running ?? [],
        untracked,
        positions: r?.positions ?? {},
      };
    });
  }

  /** Local time until which this node may run `group`: its session's validity once its lock is held and
   * any stop-budget wait is over (-Infinity otherwise). */
  private leaseEnd(group: string, now: number): number {
    const h = this.held.get(group);
    const s = this.sessions.session;
    if (!h || !s || h.lease !== s.lease || now < h.startableAt) return -Infinity;
    return s.validUntil;
  }

  private driveGroups(now: number): void {
    if (this.admin.maintenance) return;
    this.local.groups.drive(
      {
        self: this.id,
        now,
        following: this.following(),
        fenceMargin: this.fenceMargin,
        leaseEnd: (g) => this.leaseEnd(g, now),
        wants: (g) => this.wants.has(g),
        want: (g) => void this.wants.add(g),
        release: (g) => {
          this.wants.delete(g);
          const h = this.held.get(g);
          this.held.delete(g);
          if (h) this.releasing.set(g, h);
        },
        cloneBlocked: (g) =>
          this.local.cloneBlocked(
            g,
            this.spec.members.find((m) => m.name === this.id),
            this.admin,
            now,
          ),
      },
      this.out,
    );
  }

  /** Acquires wanted locks that are free, adopts those found under this session, gives back released ones. */
  private lockRequests(now: number): void {
    const s = this.snap as Snapshot;
    const session = this.sessions.valid(now);
    const acquiring = new Set<string>();
    const giving = new Set<string>();
    for (const { purpose } of this.pending.values()) {
      if (purpose.p === "acquire") acquiring.add(purpose.group);
      if (purpose.p === "release") giving.add(purpose.group);
    }
    for (const g of this.wants) {
      if (this.held.has(g) || this.releasing.has(g) || !session || !this.local.settled) continue;
      if (acquiring.has(g)) continue;
      const kv = s.locks.get(g);
      if (kv && kv.lease === session.lease && s.revision > (this.releasedAt.get(g) ?? 0)) {
        // Taken by an acquire whose answer was lost: what it replaced is unknown, so wait the budget.
        this.held.set(g, { token: kv.createRevision, lease: kv.lease, startableAt: now + this.budgetWait(g) });
        this.decide(
          `${this.id} finds the lock of ${g} under its session (token ${kv.createRevision}); it waits its stop budget before it starts`,
        );
        continue;
      }
      if (kv || acquiring.size >= MAX_LOCK_TXNS_IN_FLIGHT) continue;
      acquiring.add(g);
      this.send(
        { op: "txn", txn: this.acquireTxn(g, session.lease) },
        { p: "acquire", group: g, lease: session.lease },
        now,
      );
    }
    for (const [g, kv] of s.locks) {
      // A lock under this session that nothing here wants (an acquire whose answer was lost): given back.
      if (!session || kv.lease !== session.lease || this.wants.has(g) || this.held.has(g) || this.releasing.has(g))
        continue;
      if (s.revision <= (this.releasedAt.get(g) ?? 0) || acquiring.has(g)) continue;
      this.releasing.set(g, { token: kv.createRevision, lease: kv.lease, startableAt: now + this.budgetWait(g) });
    }
    for (const [g, h] of this.releasing) {
      if (h.lease !== session?.lease) {
        this.releasing.delete(g);
        continue;
      }
      if (giving.has(g) || giving.size >= MAX_LOCK_TXNS_IN_FLIGHT) continue;
      giving.add(g);
      const txn: Txn = {
        compare: [{ key: this.keys.lock(g), target: "create", result: "EQUAL", value: h.token }],
        success: [
          // Given back before its stop-budget wait was over, the lock still owes that wait to the next
          // holder (the last holder's resources may still be active): not clean.
          {
            put: {
              key: this.keys.state(g),
              value: JSON.stringify({ holder: this.id, lease: h.lease, clean: now >= h.startableAt }),
            },
          },
          { delete: { key: this.keys.lock(g) } },
        ],
      };
      this.send({ op: "txn", txn }, { p: "release", group: g }, now);
    }
  }

  /** The transaction that takes `group`'s lock only if no one holds it, reading the lock's last state. */
  protected acquireTxn(g: string, lease: string): Txn {
    return {
      compare: [{ key: this.keys.lock(g), target: "create", result: "EQUAL", value: 0 }],
      success: [
        { range: { key: this.keys.state(g) } },
        { put: { key: this.keys.lock(g), value: this.id, lease } },
        { put: { key: this.keys.state(g), value: JSON.stringify({ holder: this.id, lease, clean: false }) } },
      ],
    };
  }

  private ownReport(): NodeReport {
    const track = Object.fromEntries(Object.entries(this.local.ownVerdicts()).map(([g, v]) => [g, packVerdict(v)]));
    const positions = this.local.ownPositions();
    return {
      inc: this.inc,
      running: this.local.groups.active(),
      standby: this.local.standby,
      failures: this.local.failures.counts(this.now),
      ...(Object.keys(track).length > 0 ? { track } : {}),
      ...(Object.keys(positions).length > 0 ? { positions } : {}),
      settled: this.local.settled,
    };
  }

  /** Writes this node's report when it changed, or when a read newer than the write no longer shows it. */
  private report(now: number): void {
    const session = this.sessions.valid(now);
    if (!session || this.inFlight((p) => p.p === "status")) return;
    const text = JSON.stringify(this.ownReport());
    const r = this.reported;
    const s = this.snap as Snapshot;
    if (r && r.text === text && r.lease === session.lease && (s.revision < r.revision || s.reports.has(this.id)))
      return;
    const txn: Txn = {
      compare: [],
      success: [{ put: { key: this.keys.status(this.id), value: text, lease: session.lease } }],
    };
    this.send({ op: "txn", txn }, { p: "status", text, lease: session.lease }, now);
  }

  /** An operator command received here: written for the leader, answered when its result appears. */
  private submit(now: number, id: number, cmd: unknown): void {
    const key = `${this.id}.${this.inc}.${id}`;
    this.submitted.set(key, { id, until: now + 4 * this.spec.ttlSeconds * 1000 });
    const txn: Txn = { compare: [], success: [{ put: { key: this.keys.command(key), value: JSON.stringify(cmd) } }] };
    this.send({ op: "txn", txn }, { p: "command", key }, now);
  }

  /** Answers submitted commands whose result the leader wrote, and those that waited too long. */
  private commands(now: number): void {
    const s = this.snap as Snapshot;
    for (const [key, sub] of this.submitted) {
      const r = s.results.get(key);
      if (r) {
        this.submitted.delete(key);
        this.out.actions.push({ kind: "command-result", id: sub.id, ok: r.ok, message: r.message });
        const txn: Txn = { compare: [], success: [{ delete: { key: this.keys.result(key) } }] };
        this.send({ op: "txn", txn }, { p: "result-read", key }, now);
      } else if (now >= sub.until) {
        this.submitted.delete(key);
        const txn: Txn = { compare: [], success: [{ delete: { key: this.keys.command(key) } }] };
        this.send({ op: "txn", txn }, { p: "result-read", key }, now);
        this.out.actions.push({
          kind: "command-result",
          id: sub.id,
          ok: false,
          message: `no leader answered within ${4 * this.spec.ttlSeconds}s (etcd ${this.sessions.valid(now) ? "reachable" : "unreachable from this node"})`,
        });
      }
    }
  }

  private nextWake(now: number): number {
    const s = this.sessions.session;
    const times = [
      this.nextPoll,
      this.sessions.keepaliveDue(),
      s ? s.validUntil - this.fenceMargin : Infinity,
      s ? s.validUntil : Infinity,
      ...[...this.held.values()].map((h) => h.startableAt),
      ...[...this.pending.values()].map((r) => r.sentAt + this.spec.requestTimeout),
      ...[...this.submitted.values()].map((c) => c.until),
      this.local.failures.nextExpiry(),
    ];
    return Math.min(...times.filter((t) => t > now), now + this.spec.pollEvery);
  }

  /** Locks this node may act on now: held group locks and leadership, while the session is valid. */
  private holds(now: number): string[] {
    const session = this.sessions.valid(now);
    if (!session) return [];
    const out = [...this.held].filter(([, h]) => h.lease === session.lease).map(([g]) => g);
    if (this.leading && this.leading.lease === session.lease) out.push(LEADER_LOCK);
    return out.sort();
  }

  observe(now: number): ClusterView {
    const f = this.following();
    return {
      name: this.id,
      inc: this.inc,
      term: f?.term ?? 0,
      isLeader: this.holds(now).includes(LEADER_LOCK),
      leader: f?.from,
      holds: this.holds(now),
      groups: this.local.groups.states(),
      assignments: f?.assignments ?? {},
      standby: this.local.standby || this.admin.standby.includes(this.id),
      admin: this.admin,
    };
  }

  /** Per active group (not clones): how long the guard may leave it running, ms. */
  coverVersion(): number {
    return this.local.groups.version;
  }

  groupCover(now: number): Record<string, number> {
    const out: Record<string, number> = {};
    for (const g of this.local.groups.active())
      if (!this.local.groups.isClone(g)) out[g] = Math.max(0, this.leaseEnd(g, now) - this.fenceMargin - now);
    return out;
  }

  /** The session as status shows it: lease, remaining validity, last read's revision. */
  etcdState(now: number): { lease?: string; validForMs: number; revision: number; leader?: string } {
    const s = this.sessions.valid(now);
    return {
      ...(s ? { lease: s.lease } : {}),
      validForMs: s ? Math.round(s.validUntil - now) : 0,
      revision: this.snap?.revision ?? 0,
      ...(this.snap?.leader ? { leader: this.snap.leader.value } : {}),
    };
  }

  peerLinks(): { name: string; links: boolean[] }[] {
    return this.spec.members
      .filter((m) => m.name !== this.id)
      .map((m) => ({ name: m.name, links: [this.snap?.reports.has(m.name) ?? false] }));
  }

  status(now: number): ClusterStatus {
    const reasons = (track: Record<string, number> | undefined) =>
      this.local.reasons(Object.fromEntries(Object.entries(track ?? {}).map(([g, v]) => [g, unpackVerdict(v)])));
    return {
      ...this.observe(now),
      failures: this.local.failures.counts(now),
      peers: this.spec.members
        .filter((m) => m.name !== this.id)
        .map((m) => {
          const r = this.snap?.reports.get(m.name);
          return {
            name: m.name,
            alive: r !== undefined,
            links: [r !== undefined],
            running: r?.running ?? [],
            standby: r?.standby ?? false,
            failures: r?.failures ?? {},
            track: reasons(r?.track),
          };
        }),
      track: reasons(this.ownReport().track),
      clones: this.spec.groups.filter((g) => g.clone).map((g) => g.name),
      drops: {},
    };
  }
}

function parseState(text: string): { holder: string; lease: string; clean: boolean } | undefined {
  try {
    const v = JSON.parse(text) as { holder?: unknown; lease?: unknown; clean?: unknown };
    if (typeof v.holder === "string" && typeof v.lease === "string" && typeof v.clean === "boolean")
      return { holder: v.holder, lease: v.lease, clean: v.clean };
  } catch {
    /* not a state vigil wrote: treated as unclean */
  }
  return undefined;
}
