// The cluster loop in its own thread: the core, the UDP transport and the timers. Nothing else runs
// here, so resource scripts, health checks, proxying or API load on the main thread cannot delay a
// heartbeat. It talks to the main thread by messages only.
import { parentPort, workerData } from "node:worker_threads";
import type { ClusterMsg } from "../core/cluster/messages.js";
import { NodeDriver, type DriverEvent } from "../core/cluster/driver.js";
import { ClusterNode } from "../core/cluster/node.js";
import type { EtcdConfig } from "../core/config/etcd-schema.js";
import { EtcdCoordNode } from "../core/etcd/coord-node.js";
import { ETCD_PEER, type EtcdWire } from "../core/etcd/coord-wire.js";
import { EtcdCoordLink } from "../adapters/etcd/coord-link.js";
import { etcdClientFromConfig } from "../adapters/etcd/from-config.js";
import { LEADER_LOCK, type ClusterSpec } from "../core/cluster/spec.js";
import { NameBook, specNames } from "../core/cluster/wire-ids.js";
import type { MachineInput } from "../core/machine.js";
import { FrameCodec, PROTOCOL } from "../adapters/frame.js";
import type { KeyRing } from "../adapters/key-ring.js";
import { frameOptionsFor, type WireEmulation } from "../adapters/wire-emulation.js";
import { UdpTransport, type LinkedNode } from "../adapters/udp-transport.js";
import { writeGuardPid } from "./guard-pidfile.js";
import { GuardClient } from "./guard-client.js";
import type { GuardConfig } from "./guard-protocol.js";
import { HeartbeatGaps } from "./heartbeat-gaps.js";
import { PeerWatch } from "./peer-watch.js";
import { Watchdog, watchdogBound } from "./watchdog.js";
import { WireWarnings } from "./wire-warnings.js";
import type { FromWorker, ToWorker, WorkerStatus } from "./worker-protocol.js";
import type { GroupSpec } from "../core/cluster/spec.js";
import { etcdKeepaliveAttemptMs, etcdSpecOf } from "../core/etcd/coord-spec.js";

/** What the main thread hands the worker at start. */
export interface WorkerInit {
  spec: ClusterSpec;
  self: LinkedNode;
  peers: LinkedNode[];
  /** The cluster keys (hex of each key's bytes): the first signs, all verify (see key-ring.ts). */
  keysHex: string[];
  /** Tests only: frame packets as another protocol version would (VIGIL_TEST_WIRE). */
  wireEmulation?: WireEmulation;
  incarnation: number;
  /** Whether `fault` messages are carried out (VIGIL_FAULT_INJECTION=1; tests only). */
  faultInjection?: boolean;
  /** Where to record the VIP guard's pid (undefined: nowhere). */
  guardPidfile?: string;
  /** Virtual IPs of each group ([address, interface]). */
  vips: Record<string, [string, string][]>;
  /** What the guard needs to stop this node's groups by itself. */
  guard: GuardConfig;
  /** coordination: etcd: the etcd section (then no UDP heartbeats: the node coordinates through etcd). */
  etcd?: EtcdConfig;
}

const init = workerData as WorkerInit;
const port = parentPort;
if (!port) throw new Error("cluster-worker must run in a worker thread");
const post = (m: FromWorker) => port.postMessage(m);
const clock = () => performance.now();

const transportDrops: Record<string, number> = {};
const gaps = new HeartbeatGaps();
const peerWatch = new PeerWatch();
const ringOf = (keysHex: string[]): KeyRing => {
  const accept = keysHex.map((k) => Buffer.from(k, "hex"));
  return { send: accept[0] as Buffer, accept };
};
const wireWarnings = new WireWarnings((message) => post({ t: "warn", message }));

/** The node and its way to the others: UDP heartbeats to the peers (builtin) or etcd. */
interface Coordination {
  driver: NodeDriver<ClusterMsg> | NodeDriver<EtcdWire>;
  status(): WorkerStatus;
  send(to: string, msg: unknown): void;
  start(): Promise<void>;
  close(): void;
  setKeys(keysHex: string[]): void;
  setGroups(groups: GroupSpec[]): void;
  /** Why start() failed, for the fatal message. */
  startFailure(err: Error): string;
}

/** The builtin backend: the cluster core over the UDP transport. */
function builtinCoordination(): Coordination {
  const linkCounts = new Map(init.peers.map((p) => [p.name, Math.min(p.links.length, init.self.links.length)]));
  const node = new ClusterNode(
    init.spec,
    init.self.name,
    init.incarnation,
    clock(),
    (peer) => linkCounts.get(peer) ?? 1,
  );
  const transport = new UdpTransport(
    new FrameCodec(
      ringOf(init.keysHex),
      init.spec.clusterName,
      new NameBook(specNames(init.spec, LEADER_LOCK)),
      frameOptionsFor(init.wireEmulation),
    ),
    init.self,
    init.peers,
    {
      message: (from, msg, link) => {
        if (msg.type === "hb") gaps.record(from, link, clock());
        step({ kind: "message", from, msg, link });
        const change = msg.type === "hb" ? peerWatch.heard(from, msg.running, Date.now()) : undefined;
        if (change) post({ t: "peer", change });
      },
      drop: (reason, detail) => {
        transportDrops[reason] = (transportDrops[reason] ?? 0) + 1;
        if (detail)
          wireWarnings.warn(
            clock(),
            `${detail.source}/${detail.major}`,
            `${detail.source} speaks cluster protocol ${detail.major}.x, this node ${PROTOCOL.major}.${PROTOCOL.minor}: its packets are dropped (counted as other-major) until every node runs a release of the same major version`,
          );
      },
    },
    { intervalMs: init.spec.interval },
  );
  return {
    driver: new NodeDriver(node, init.spec.interval),
    status: () => ({
      ...node.status(clock()),
      transportDrops: { ...transportDrops },
      sendErrors: { ...transport.sendErrors },
      heartbeatGaps: gaps.summary(),
    }),
    send: (to, msg) => transport.send(to, msg as ClusterMsg),
    start: () => transport.start(),
    close: () => transport.close(),
    setKeys: (keysHex) => transport.codec.setKeys(ringOf(keysHex)),
    setGroups: (groups) =>
      transport.codec.setBook(new NameBook(specNames({ members: init.spec.members, groups }, LEADER_LOCK))),
    startFailure: (err) =>
      `cannot bind the cluster port: ${err.message} (the address of node ${init.self.name} in nodes, or cluster.port: is another daemon running?)`,
  };
}

/** The etcd backend: the etcd coordination core, its requests carried to etcd over HTTP. */
function etcdCoordination(e: EtcdConfig): Coordination {
  const spec = etcdSpecOf(init.spec, e);
  const node = new EtcdCoordNode(spec, init.self.name, init.incarnation, clock());
  const link = new EtcdCoordLink(
    etcdClientFromConfig(e),
    (msg) => step({ kind: "message", from: ETCD_PEER, msg }),
    etcdKeepaliveAttemptMs(e),
  );
  // Peers' running groups come from etcd reads, not heartbeats: their changes (for the timeline) are
  // found when the status is read, which the history feed does every interval.
  let lastRunning = new Map<string, string>();
  return {
    // The cover only grows when a keepalive is answered: reported every half read interval, not every half
    // heartbeat interval (the guard would parse every group's cover 80 times a second at the default).
    driver: new NodeDriver(node, spec.pollEvery),
    status: () => {
      const status = node.status(clock());
      const running = new Map(status.peers.map((p) => [p.name, `${p.alive}:${p.running.join(",")}`]));
      for (const p of status.peers)
        if (running.get(p.name) !== lastRunning.get(p.name)) {
          const change = p.alive ? peerWatch.heard(p.name, p.running, Date.now()) : undefined;
          if (change) post({ t: "peer", change });
        }
      lastRunning = running;
      return {
        ...status,
        transportDrops: {},
        sendErrors: { ...link.stats.failures },
        heartbeatGaps: {},
        etcd: {
          ...node.etcdState(clock()),
          endpoint: link.stats.endpoint,
          ...(link.stats.lastKeepaliveMs !== undefined ? { lastKeepaliveMs: link.stats.lastKeepaliveMs } : {}),
          requests: link.stats.requests,
          prefix: e.prefix,
          ttlSeconds: spec.ttlSeconds,
        },
      };
    },
    send: (_to, msg) => link.send(msg as EtcdWire),
    start: () => Promise.resolve(),
    close: () => link.close(),
    setKeys: () => undefined,
    setGroups: () => undefined,
    startFailure: (err) => `etcd: ${err.message}`,
  };
}

const coordination = init.etcd ? etcdCoordination(init.etcd) : builtinCoordination();
const driver = coordination.driver;

let timer: NodeJS.Timeout | undefined;
/** The guard process: removes VIPs when their lease cover runs out, and stops the groups of a silent
 * or dead daemon by itself (see guard.ts). Always running: it covers every resource, not only VIPs. */
const guard = new GuardClient((msg) => post({ t: "warn", message: msg }));
guard.configure(init.guard);
guard.onStopped((line) => {
  post({
    t: "warn",
    message: `the guard stopped ${line.group} by itself (${line.ok ? "all of it gone" : "NOT all of it could be stopped"})`,
  });
  if (line.ok) step({ kind: "local", event: { kind: "stopped", group: line.group } });
});
guard.onVipsRemoved((line) => step({ kind: "local", event: { kind: "vips-lost", group: line.group } }));
void guard.ready().then(() => recordGuardPid(guard.pid));
/** Records the guard's pid for a later incarnation (see earlier-guard.ts); a warning when it cannot. */
function recordGuardPid(pid: number | undefined): void {
  if (pid === undefined || init.guardPidfile === undefined) return;
  try {
    writeGuardPid(init.guardPidfile, pid);
  } catch (err) {
    post({ t: "warn", message: `${(err as Error).message}; a restart of this daemon will not wait for this guard` });
  }
}

/** A step of the core that takes longer than this is reported (at most one warning per SLOW_REPORT_MS). */
const SLOW_STEP_MS = 100;
const SLOW_REPORT_MS = 10_000;
let slow = { count: 0, maxMs: 0, reportedAt: -Infinity };

function step(input: MachineInput<ClusterMsg | EtcdWire, DriverEvent>): void {
  const began = clock();
  stepNow(input);
  const ms = clock() - began;
  if (ms <= SLOW_STEP_MS) return;
  slow = { ...slow, count: slow.count + 1, maxMs: Math.max(slow.maxMs, ms) };
  if (clock() - slow.reportedAt < SLOW_REPORT_MS) return;
  post({
    t: "warn",
    message: `the cluster thread took ${Math.round(ms)}ms for one step (a ${input.kind}${input.kind === "local" ? `: ${input.event.kind}` : ""}); ${slow.count} step(s) over ${SLOW_STEP_MS}ms, the longest ${Math.round(slow.maxMs)}ms, since the last such warning: the machine is short of CPU for this many groups`,
  });
  slow = { count: 0, maxMs: 0, reportedAt: clock() };
}

function stepNow(input: MachineInput<ClusterMsg | EtcdWire, DriverEvent>): void {
  const out = (driver as NodeDriver<ClusterMsg | EtcdWire>).step(clock(), input);
  for (const s of out.sends) coordination.send(s.to, s.msg);
  if (out.decisions.length > 0) post({ t: "decisions", at: Date.now(), lines: out.decisions });
  for (const a of out.actions) {
    if (a.kind === "cover") guard.cover(a.groups);
    else if (a.kind === "links") {
      post({ t: "links", at: Date.now(), peers: a.peers });
      for (const change of peerWatch.liveness(a.peers)) post({ t: "peer", change });
    } else post({ t: "action", at: Date.now(), action: a });
  }
  if (timer) clearTimeout(timer);
  if (out.wakeAt !== undefined) timer = setTimeout(() => step({ kind: "tick" }), Math.max(0, out.wakeAt - clock()));
}

/** The main thread's events, stepped in order a slice of time at a time: a node that starts or stops
 * hundreds of groups gets as many events at once, each a step over every group, and the pings, etcd's
 * answers and status requests queued behind them must not wait for all of them. */
class EventBacklog {
  private queue: MachineInput<ClusterMsg | EtcdWire, DriverEvent>[] = [];
  private next = 0;
  private scheduled = false;

  push(input: MachineInput<ClusterMsg | EtcdWire, DriverEvent>): void {
    this.queue.push(input);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.drain());
  }

  private drain(): void {
    const until = clock() + EVENT_SLICE_MS;
    while (this.next < this.queue.length && clock() < until) step(this.queue[this.next++] as (typeof this.queue)[0]);
    if (this.next < this.queue.length) return void setImmediate(() => this.drain());
    this.queue = [];
    this.next = 0;
    this.scheduled = false;
  }
}
/** How long the cluster thread steps queued events before it turns to what else waits, ms. */
const EVENT_SLICE_MS = 20;
const events = new EventBacklog();

/** Silences the node for good when the main thread stops pinging (it hung or died). */
const watchdog = new Watchdog(watchdogBound(init), init.spec.interval, (silentMs) => {
  step({ kind: "local", event: { kind: "main-silent", silentMs } });
  post({ t: "silenced", silentMs });
});
let lastPing = clock();

/** Carries out an injected fault (tests only). */
function injectFault(fault: Extract<ToWorker, { t: "fault" }>["fault"]): void {
  if (!init.faultInjection) return;
  if (fault.kind === "crash-worker") {
    setImmediate(() => {
      throw new Error("fault injection: crash-worker");
    });
  } else if (fault.kind === "hang-worker") {
    const until = clock() + fault.ms;
    while (clock() < until) Atomics.load(new Int32Array(1), 0);
  } else if (guard.pid !== undefined) {
    process.kill(guard.pid, "SIGKILL");
  } else post({ t: "warn", message: "fault injection: kill-guard, but no guard is running" });
}

port.on("message", (m: ToWorker) => {
  switch (m.t) {
    case "fault":
      return injectFault(m.fault);
    case "ping":
      lastPing = clock();
      watchdog.heard();
      return post({ t: "pong" });
    case "silence":
      watchdog.stop();
      return step({ kind: "local", event: { kind: "main-silent", silentMs: clock() - lastPing } });
    case "event":
      return events.push({ kind: "local", event: m.event });
    case "keys":
      return coordination.setKeys(m.keysHex);
    case "reload":
      init.vips = m.vips;
      coordination.setGroups(m.groups);
      guard.configure(m.guard);
      return events.push({ kind: "local", event: { kind: "groups", groups: m.groups } });
    case "status?":
      return post({ t: "status", id: m.id, status: coordination.status() });
    case "stop":
      watchdog.stop();
      if (timer) clearTimeout(timer);
      void guard.close();
      coordination.close();
      port.close();
      return;
  }
});

/** How long a failed start waits for its guard to exit before reporting (it covers nothing yet). */
const FATAL_GUARD_WAIT_MS = 500;

/** A start-up failure: closes the guard and the socket, then tells the main thread, which exits. */
async function fatal(message: string): Promise<void> {
  coordination.close();
  await Promise.race([guard.close(), new Promise((r) => setTimeout(r, FATAL_GUARD_WAIT_MS))]);
  post({ t: "fatal", message });
}

// Ready once the cluster port is bound and the guard runs: a node must not run without its guard.
coordination.start().then(
  () =>
    guard.started.then(
      () => {
        post({ t: "ready" });
        watchdog.start();
        step({ kind: "tick" });
      },
      (err: Error) => fatal(`guard: ${err.message}`),
    ),
  (err: Error) => fatal(coordination.startFailure(err)),
);
