// The composition root: loads the config, starts the cluster worker, the group runner and the API,
// and wires them together. The only module that knows both the core and the adapters.
import { setPriority } from "node:os";
import { formatIssue, loadConfigFile } from "../adapters/config-file.js";
import { readKeyRing, type KeyRing } from "../adapters/key-ring.js";
import { wireEmulationFromEnv } from "../adapters/wire-emulation.js";
import { createLogger, type Logger } from "../adapters/logger.js";
import { removeAddress } from "../adapters/resources/vip.js";
import { groupId } from "../adapters/unix-group.js";
import { clusterInfo } from "../api/cluster-info.js";
import { Metrics } from "../api/metrics.js";
import { startLocalApi } from "../api/local-socket.js";
import { startApi, type ApiBackend, type DebugFault } from "../api/server.js";
import { apiSocketPath } from "../api/socket-path.js";
import type { ClusterAction, ClusterEvent, ClusterStatus } from "../core/cluster/node.js";
import { clusterSpecFrom } from "../core/cluster/spec.js";
import { parseEndpoint, type Endpoint } from "../core/net/address.js";
import { HealthChecker } from "../balancer/health-checker.js";
import type { HealthFactory } from "../balancer/virtual-server.js";
import { settleAfterEarlierGuard } from "./earlier-guard.js";
import { EventLog } from "./event-log.js";
import { HistoryFeed } from "./history-feed.js";
import { FailStop } from "./fail-stop.js";
import { faultInjectionEnabled, injectFault } from "./fault-injection.js";
import { agentsFor, guardConfigOf, notifyScriptsOf, vipsOf } from "./group-resources.js";
import { DbReplicaKeeper, dbGroupsOf } from "./db-replicas.js";
import { registerDbMetrics } from "../api/db-metrics.js";
import { setDbTopology, topologyOf } from "../adapters/mariadb/topology.js";
import { GroupRunner } from "./group-runner.js";
import { guardPidfile, readGuardPid, runtimeDir } from "./guard-pidfile.js";
import { incarnationClock, incarnationFile, nextIncarnation, stateDir } from "./incarnation.js";
import { VirtualServers } from "./virtual-servers.js";
import { Notifier } from "./notifier.js";
import { linksOf, pickNode } from "./node-identity.js";
import type { WorkerInit } from "./cluster-worker.js";
import { groupsPart } from "./reload-groups.js";
import { readToken, Reloader, tokenPart, type ReloadOutcome } from "./reload.js";
import { keyPart } from "./reload-key.js";
import { checkCoordinationAtStart } from "./coordination-backend.js";
import { StartupError } from "./startup-error.js";
import { runFence, startTiebreakerLoop } from "./two-node-io.js";
import { probesOf, TrackRunner } from "./track-runner.js";
import { WorkerClient } from "./worker-client.js";
import { CommandHelper } from "../adapters/command-helper.js";
import { useCommandHelper } from "../adapters/run-command.js";

/** Options of `vigil run`. */
export interface RunOptions {
  configFile: string;
  node?: string;
  /** Overrides api.listen (several nodes on one host). */
  api?: string;
}

/** A running daemon. */
export interface Daemon {
  name: string;
  /** Hands this node's groups over (standby, then waits until they stopped here), up to `timeoutMs`. */
  drain(timeoutMs: number): Promise<boolean>;
  /** Whether the daemon is failing stop (it exits with code 70 by itself once its groups stopped). */
  readonly failingStop: boolean;
  /** Re-reads the config file and applies what changed (SIGHUP); an invalid or restart-only change is refused. */
  reload(): Promise<ReloadOutcome>;
  /** Stops every group still up here, the API, the virtual servers and the cluster thread. */
  stop(): Promise<void>;
}

/** How long a fail stop may take before the process exits anyway: the longest stop budget plus 1s,
 * at least 2s. */
function failStopDeadline(stopBudgets: number[]): number {
  return Math.max(2000, ...stopBudgets.map((b) => b + 1000));
}

export { StartupError };

/** Warns of peers heard on some links only. */
function logLinks(peers: ClusterStatus["peers"], log: Logger): void {
  for (const p of peers) {
    const down = p.links.map((up, i) => (up ? -1 : i)).filter((i) => i >= 0);
    if (p.alive && down.length > 0)
      log.warn(
        { peer: p.name, links: p.links },
        `${p.name}: link ${down.join(", ")} down, still heard on another link`,
      );
  }
}

/** Removes configured VIPs left on this host (by a crash): at start-up this node owns none. */
async function removeStaleVips(vips: Record<string, [string, string][]>, log: Logger): Promise<void> {
  for (const [address, iface] of Object.values(vips).flat()) {
    const r = await removeAddress(address, iface);
    if (!r.ok) log.error({ vip: address }, `start-up: a VIP left by an earlier run may still be here: ${r.detail}`);
    else if (!r.detail.endsWith("not present")) log.warn({ vip: address }, `start-up: ${r.detail}`);
  }
}

/** Scheduling priority asked for (as corosync runs at high priority): a CPU-bound neighbour must not
 * delay heartbeats. Threads created afterwards, the cluster worker among them, inherit it. */
const NICE = -10;

function raisePriority(log: Logger): void {
  try {
    setPriority(0, NICE);
  } catch (err) {
    log.warn(
      { err: (err as Error).message },
      `could not raise scheduling priority to nice ${NICE} (needs root or CAP_SYS_NICE); heartbeats may suffer under CPU load`,
    );
  }
}

/** Starts the daemon; rejects with StartupError for config or environment problems. */
export async function startDaemon(opts: RunOptions, log: Logger = createLogger()): Promise<Daemon> {
  const loaded = loadConfigFile(opts.configFile);
  if (!loaded.ok) throw new StartupError(loaded.issues.map(formatIssue).join("\n"));
  const config = loaded.config;
  let name: string;
  try {
    name = pickNode(config, opts.node);
  } catch (err) {
    throw new StartupError((err as Error).message);
  }
  const apiListen = parseEndpoint(opts.api ?? config.api.listen);
  if (!apiListen) throw new StartupError(`--api ${opts.api}: expected IP:PORT`);
  const nlog = log.child({ node: name });
  let metrics: Metrics | undefined;
  /** Set once the history exists (health checks may report before). */
  const historyRef: { feed?: HistoryFeed } = {};
  const makeHealth: HealthFactory = (vs, onTransition) =>
    new HealthChecker({
      vs,
      log: nlog,
      onTransition,
      onResult: (address, ok, latencyMs) => {
        metrics?.balancer.checks.inc({ vs: vs.name, real_server: address, result: ok ? "ok" : "failed" });
        metrics?.balancer.checkLatency.observe({ vs: vs.name }, latencyMs / 1000);
        historyRef.feed?.check(vs.name, address, ok, latencyMs);
      },
    });
  const vservers = new VirtualServers(config, nlog, makeHealth);
  const owner = `${config.cluster.name}/${name}`;
  const agents = agentsFor(
    config,
    (g) => vservers.listenerOf(g),
    owner,
    (g) => vservers.forwarderOf(g),
  );

  let keys: KeyRing;
  let wireEmulation: ReturnType<typeof wireEmulationFromEnv>;
  try {
    keys = readKeyRing(config.cluster.key_file);
    wireEmulation = wireEmulationFromEnv();
  } catch (err) {
    throw new StartupError(`cluster.key_file: ${(err as Error).message}`);
  }
  const pidfile = guardPidfile(runtimeDir(), config.cluster.name, name);
  const earlierGuard = readGuardPid(pidfile);
  const incarnation = nextIncarnation(incarnationFile(stateDir(), config.cluster.name, name), incarnationClock()());
  for (const w of incarnation.warnings) nlog.warn(w);
  nlog.info(
    { incarnation: incarnation.inc, previous: incarnation.previous },
    `incarnation ${incarnation.inc}${incarnation.previous === undefined ? " (no earlier run recorded)" : ` (previous run ${incarnation.previous})`}`,
  );
  const init: WorkerInit = {
    spec: clusterSpecFrom(config),
    self: linksOf(config, name),
    peers: config.nodes.filter((n) => n.name !== name).map((n) => linksOf(config, n.name)),
    keysHex: keys.accept.map((k) => k.toString("hex")),
    ...(wireEmulation ? { wireEmulation } : {}),
    incarnation: incarnation.inc,
    guardPidfile: pidfile,
    faultInjection: faultInjectionEnabled(),
    vips: vipsOf(config),
    guard: guardConfigOf(config, owner),
    ...(config.cluster.coordination === "etcd" && config.cluster.etcd ? { etcd: config.cluster.etcd } : {}),
  };
  await checkCoordinationAtStart(config, nlog);
  await removeStaleVips(init.vips, nlog);
  raisePriority(nlog);
  const dbTopo = topologyOf(config, name, (m) => nlog.info({ db: true }, m));
  setDbTopology(dbTopo);
  const notifier = new Notifier(notifyScriptsOf(config, name), name, nlog);
  const events = new EventLog(name);
  const feed = new HistoryFeed(
    { node: name, windowMs: config.api.history, intervalMs: init.spec.interval, leaseMs: init.spec.lease },
    init.spec.groups.map((g) => g.name),
    { status: () => w.status(), virtualServers: () => vservers.status() },
  );
  historyRef.feed = feed;
  let leaving = false;
  const toCluster = (event: ClusterEvent) => w.event(event);
  const onGroupEvent = (event: ClusterEvent) => {
    feed.groupEvent(event);
    toCluster(event);
    if (!("group" in event)) return;
    if (event.kind === "started") void notifier.notify(event.group, "master");
    else if (event.kind === "failed") void notifier.notify(event.group, "fault");
    else if (event.kind === "stopped") void notifier.notify(event.group, leaving ? "stopped" : "backup");
  };
  for (const g of config.groups) void notifier.notify(g.name, "backup");
  const runner = new GroupRunner(
    agents,
    onGroupEvent,
    nlog,
    (group, op, ok) => metrics?.resourceOps.inc({ group, op, outcome: ok ? "ok" : "failed" }),
    config.cluster.last_resort,
  );
  const started = new Set<string>();
  const stopGroups = async () => {
    await Promise.all([...started].filter((g) => runner.isUp(g)).map((group) => runner.run({ kind: "stop", group })));
  };
  /** What start-up has opened, closed in reverse order. */
  const closers: (() => unknown)[] = [];
  // Commands spawn from a helper process: a fork from the daemon would stall all of its threads.
  const commands = new CommandHelper();
  commands.start();
  useCommandHelper(commands);
  closers.push(async () => {
    useCommandHelper(undefined);
    await commands.close();
  });
  const closeAll = async () => {
    runner.close();
    for (const close of closers.splice(0).reverse()) await close();
  };
  const failStop = new FailStop(
    {
      stopGroups: async () => {
        w.silence("the daemon fails stop");
        runner.close();
        await stopGroups();
      },
      close: closeAll,
    },
    failStopDeadline(init.spec.groups.map((g) => g.stopBudget)),
    nlog,
  );
  const onAction = (a: ClusterAction) => {
    if (failStop.active) return;
    feed.action(a);
    if (a.kind === "start") {
      metrics?.groupStarts.inc({ group: a.group });
      started.add(a.group);
    }
    if (a.kind === "probe")
      return void closers.push(settleAfterEarlierGuard(earlierGuard, () => toCluster({ kind: "settled" }), nlog));
    if (a.kind === "fence") return void runFence(config.cluster.fence, a.node, toCluster, nlog);
    if (a.kind === "start" || a.kind === "stop") return void runner.run(a);
  };
  const w = new WorkerClient(init, {
    report: (m) => {
      if (m.t === "decisions") {
        for (const line of m.lines) {
          nlog.info({ decision: true, at: m.at }, line);
          events.add(m.at, line);
          feed.decision(m.at, line);
        }
      } else if (m.t === "action") onAction(m.action);
      else if (m.t === "peer") feed.peer(m.change);
      else if (m.t === "warn") nlog.warn(m.message);
      else logLinks(m.peers, nlog);
    },
    down: (reason) => failStop.trigger(reason),
  });
  closers.push(() => w.terminate());
  feed.start();
  closers.push(() => feed.stop());
  try {
    await w.ready;
  } catch (err) {
    await closeAll();
    throw err instanceof StartupError ? err : new StartupError(`cluster worker: ${(err as Error).message}`);
  }
  const dbKeeper = new DbReplicaKeeper(
    dbGroupsOf(config, owner),
    dbTopo,
    () => w.status(),
    (g) => runner.isUp(g),
    nlog,
    (group, received) => toCluster({ kind: "position", group, received }),
  );
  dbKeeper.start();
  closers.push(() => dbKeeper.stop());
  const tiebreaker = config.cluster.tiebreaker;
  if (tiebreaker !== undefined) closers.push(startTiebreakerLoop(tiebreaker, toCluster, nlog));
  const tracks = new TrackRunner(toCluster, nlog);
  tracks.configure(probesOf(config, name));
  closers.push(() => tracks.close());
  const status = () => w.status();
  let token: string | undefined;
  let apiGid: number;
  try {
    token = config.api.token_file ? readToken(config.api.token_file) : undefined;
    apiGid = config.api.group === undefined ? (process.getegid?.() ?? 0) : groupId(config.api.group);
  } catch (err) {
    await closeAll();
    throw new StartupError(`api: ${(err as Error).message}`);
  }
  let allowedHosts: readonly string[] = config.api.allowed_hosts;
  try {
    closers.push(() => vservers.stop());
    await vservers.start();
  } catch (err) {
    await closeAll();
    throw new StartupError(`virtual servers: ${(err as Error).message}`);
  }
  try {
    metrics = new Metrics(
      name,
      status,
      init.spec,
      () => vservers.status(),
      () => tracks.status(),
    );
    const m = metrics;
    if (dbKeeper.active) registerDbMetrics(m.registry, () => dbKeeper.snapshot());
    const apiStatus = async () => {
      const s = await status();
      return {
        ...s,
        cluster: clusterInfo(init.spec, s.name, s.peers),
        virtual_servers: vservers.status(),
        track_checks: tracks.status(),
        ...(dbKeeper.active ? { databases: dbKeeper.snapshot() } : {}),
      };
    };
    const backend: ApiBackend = {
      status: apiStatus,
      command: (cmd) => w.command(cmd),
      events: () => events.list(),
      dbExplain: (group) => dbKeeper.explain(group),
      dbForce: async (group) => dbKeeper.force(group),
      metrics: () => m.render(),
      history: () => feed.view(),
      get token() {
        return token;
      },
      onError: (err, what) => nlog.error({ api: true, err: err.message }, `API: ${what} failed: ${err.message}`),
      ...(init.faultInjection ? { injectFault: (f: DebugFault) => injectFault(f, (msg) => w.post(msg), nlog) } : {}),
    };
    const api = await startApi(apiListen as Endpoint, backend, () => allowedHosts);
    closers.push(() => {
      api.close();
      api.closeAllConnections();
    });
    const socketPath = apiSocketPath(runtimeDir(), apiListen as Endpoint);
    await startLocalApi(socketPath, backend, apiGid).then(
      (local) =>
        closers.push(() => {
          local.close();
          local.closeAllConnections();
        }),
      (err: Error) =>
        nlog.warn(
          { socket: socketPath },
          `no local API socket at ${socketPath} (${err.message}); commands then need the token over TCP (vigil CLI: --api and --token-file)`,
        ),
    );
  } catch (err) {
    await closeAll();
    const where = opts.api !== undefined ? `--api ${opts.api}` : `api.listen ${config.api.listen}`;
    throw new StartupError(`cannot listen for the API (${where}): ${(err as Error).message}`);
  }
  nlog.info({ api: opts.api ?? config.api.listen }, `vigil ${name} running in cluster ${config.cluster.name}`);

  const reloader = new Reloader(
    opts.configFile,
    config,
    [
      keyPart(keys, (keysHex) => w.post({ t: "keys", keysHex })),
      groupsPart({
        runner,
        notifier,
        status,
        post: (m) => w.post(m),
        listener: (g) => vservers.listenerOf(g),
        forwarder: (g) => vservers.forwarderOf(g),
        owner,
      }),
      tokenPart(
        () => token,
        (t) => (token = t),
      ),
      {
        name: "api history",
        apply: (current, next) => {
          feed.setWindow(next.api.history);
          return current.api.history === next.api.history ? [] : ["history window changed"];
        },
      },
      {
        name: "api allowed hosts",
        apply: (current, next) => {
          allowedHosts = next.api.allowed_hosts;
          return current.api.allowed_hosts.join() === next.api.allowed_hosts.join() ? [] : ["API host names changed"];
        },
      },
      { name: "virtual servers", apply: (_current, next, plan) => (plan.virtualServers ? vservers.apply(next) : []) },
      {
        name: "track checks",
        apply: (current, next) => {
          const [before, after] = [probesOf(current, name), probesOf(next, name)];
          tracks.configure(after);
          return [...before.keys()].join() === [...after.keys()].join() ? [] : ["track checks updated"];
        },
      },
    ],
    nlog,
  );

  return {
    name,
    get failingStop() {
      return failStop.active;
    },
    reload: () => reloader.reload(),
    async drain(timeoutMs: number) {
      leaving = true;
      toCluster({ kind: "standby", on: true });
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline && !failStop.active) {
        const s = await status().catch(() => undefined);
        if (s && Object.values(s.groups).every((g) => g === "stopped")) return true;
        await new Promise((r) => setTimeout(r, 20));
      }
      return false;
    },
    async stop() {
      runner.close();
      await stopGroups();
      await closeAll();
    },
  };
}
