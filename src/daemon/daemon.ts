// The composition root: loads the config, starts the cluster worker, the group runner and the API,
// and wires them together. The only module that knows both the core and the adapters.
import { readFileSync } from "node:fs";
import { setPriority } from "node:os";
import type { Server } from "node:http";
import { Worker } from "node:worker_threads";
import { formatIssue, loadConfigFile } from "../adapters/config-file.js";
import { createLogger, type Logger } from "../adapters/logger.js";
import { removeAddress } from "../adapters/resources/vip.js";
import { fence, tiebreakerReachable } from "../adapters/two-node.js";
import { clusterInfo } from "../api/cluster-info.js";
import { Metrics } from "../api/metrics.js";
import { startApi, type CommandOutcome, type EventEntry } from "../api/server.js";
import type { Command } from "../core/cluster/admin.js";
import type { ClusterEvent } from "../core/cluster/node.js";
import { clusterSpecFrom } from "../core/cluster/spec.js";
import { parseEndpoint, type Endpoint } from "../core/net/address.js";
import { HealthChecker } from "../balancer/health-checker.js";
import type { HealthFactory } from "../balancer/virtual-server.js";
import { agentsFor, notifyScriptsOf, vipsOf } from "./group-resources.js";
import { GroupRunner } from "./group-runner.js";
import { VirtualServers } from "./virtual-servers.js";
import { Notifier } from "./notifier.js";
import { linksOf, pickNode } from "./node-identity.js";
import type { FromWorker, ToWorker, WorkerStatus } from "./worker-protocol.js";
import type { WorkerInit } from "./cluster-worker.js";
import { groupsPart } from "./reload-groups.js";
import { readKey, Reloader, tokenPart, type ReloadOutcome } from "./reload.js";

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
  /** Re-reads the config file and applies what changed (SIGHUP); an invalid or restart-only change is refused. */
  reload(): Promise<ReloadOutcome>;
  stop(): Promise<void>;
}

/** Thrown for problems the operator must fix before the daemon can start. */
export class StartupError extends Error {}

/** Removes configured VIPs left on this host (by a crash): at start-up this node owns none. */
async function removeStaleVips(vips: Record<string, [string, string][]>, log: Logger): Promise<void> {
  for (const [address, iface] of Object.values(vips).flat()) {
    const r = await removeAddress(address, iface);
    if (!r.ok) log.error({ vip: address }, `start-up: a VIP left by an earlier run may still be here: ${r.detail}`);
    else if (!r.detail.endsWith("not present")) log.warn({ vip: address }, `start-up: ${r.detail}`);
  }
}

/** How many recent decisions /events keeps. */
const RECENT_EVENTS = 500;

/** Scheduling priority asked for (as corosync runs at high priority): a CPU-bound neighbour must not
 * delay heartbeats. Threads created afterwards, the cluster worker among them, inherit it. */
const NICE = -10;

function raisePriority(log: Logger): void {
  try {
    setPriority(0, NICE);
  } catch (err) {
    log.warn({ err: (err as Error).message }, `could not raise scheduling priority to nice ${NICE} (needs root or CAP_SYS_NICE); heartbeats may suffer under CPU load`);
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
  const makeHealth: HealthFactory = (vs, onTransition) =>
    new HealthChecker({
      vs, log: nlog, onTransition,
      onResult: (address, ok, latencyMs) => {
        metrics?.balancer.checks.inc({ vs: vs.name, real_server: address, result: ok ? "ok" : "failed" });
        metrics?.balancer.checkLatency.observe({ vs: vs.name }, latencyMs / 1000);
      },
    });
  const vservers = new VirtualServers(config, nlog, makeHealth);
  const owner = `${config.cluster.name}/${name}`;
  const agents = agentsFor(config, (g) => vservers.listenerOf(g), owner);

  const init: WorkerInit = {
    spec: clusterSpecFrom(config),
    self: linksOf(config, name),
    peers: config.nodes.filter((n) => n.name !== name).map((n) => linksOf(config, n.name)),
    keyHex: readKey(config.cluster.key_file).toString("hex"),
    incarnation: Date.now(),
    vips: vipsOf(config),
  };
  await removeStaleVips(init.vips, nlog);
  raisePriority(nlog);
  const worker = new Worker(new URL("./cluster-worker.js", import.meta.url), { workerData: init });
  const toWorker = (m: ToWorker) => worker.postMessage(m);
  const notifier = new Notifier(notifyScriptsOf(config), name, nlog);
  let leaving = false;
  const onGroupEvent = (event: ClusterEvent) => {
    toWorker({ t: "event", event });
    if (!("group" in event)) return;
    if (event.kind === "started") void notifier.notify(event.group, "master");
    else if (event.kind === "failed") void notifier.notify(event.group, "fault");
    else if (event.kind === "stopped") void notifier.notify(event.group, leaving ? "stopped" : "backup");
  };
  for (const g of config.groups) void notifier.notify(g.name, "backup");
  const runner = new GroupRunner(agents, onGroupEvent, nlog, (group, op, ok) =>
    metrics?.resourceOps.inc({ group, op, outcome: ok ? "ok" : "failed" }),
  config.cluster.last_resort);
  const pending = new Map<number, (s: WorkerStatus) => void>();
  const recent: EventEntry[] = [];
  const remember = (at: number, text: string) => {
    recent.push({ at, node: name, text });
    if (recent.length > RECENT_EVENTS) recent.shift();
  };
  const commands = new Map<number, (r: CommandOutcome) => void>();
  let nextId = 1;

  const ready = new Promise<void>((resolve, reject) => {
    worker.on("message", (m: FromWorker) => {
      switch (m.t) {
        case "ready": return resolve();
        case "fatal": return reject(new StartupError(m.message));
        case "decisions":
          for (const line of m.lines) {
            nlog.info({ decision: true, at: m.at }, line);
            remember(m.at, line);
          }
          return;
        case "action": {
          const a = m.action;
          if (a.kind === "command-result") {
            commands.get(a.id)?.({ ok: a.ok, message: a.message });
            commands.delete(a.id);
            return;
          }
          if (a.kind === "start") metrics?.groupStarts.inc({ group: a.group });
          if (a.kind === "probe") return toWorker({ t: "event", event: { kind: "settled" } });
          if (a.kind !== "fence") return void runner.run(a);
          const spec = config.cluster.fence;
          if (!spec) return toWorker({ t: "event", event: { kind: "fenced", node: a.node, ok: true } });
          void fence(spec, a.node).then((r) => {
            (r.ok ? nlog.warn.bind(nlog) : nlog.error.bind(nlog))({ fence: a.node, ok: r.ok }, r.detail);
            toWorker({ t: "event", event: { kind: "fenced", node: a.node, ok: r.ok } });
          });
          return;
        }
        case "links":
          for (const p of m.peers) {
            const down = p.links.map((up, i) => (up ? -1 : i)).filter((i) => i >= 0);
            if (p.alive && down.length > 0) nlog.warn({ peer: p.name, links: p.links }, `${p.name}: link ${down.join(", ")} down, still heard on another link`);
          }
          return;
        case "status":
          pending.get(m.id)?.(m.status);
          pending.delete(m.id);
          return;
      }
    });
    worker.once("error", (err) => reject(err));
  });
  await ready;
  const tiebreaker = config.cluster.tiebreaker;
  let tiebreakerTimer: NodeJS.Timeout | undefined;
  if (tiebreaker !== undefined) {
    let last: boolean | undefined;
    const check = async () => {
      const ok = await tiebreakerReachable(tiebreaker, 1000);
      if (ok !== last) {
        nlog[ok ? "info" : "warn"]({ tiebreaker, ok }, `tiebreaker ${tiebreaker} ${ok ? "reachable" : "unreachable"}`);
        toWorker({ t: "event", event: { kind: "tiebreaker", ok } });
        last = ok;
      }
      tiebreakerTimer = setTimeout(() => void check(), 500);
    };
    void check();
  }

  const status = () =>
    new Promise<WorkerStatus>((resolve, reject) => {
      const id = nextId++;
      pending.set(id, resolve);
      toWorker({ t: "status?", id });
      setTimeout(() => {
        if (pending.delete(id)) reject(new Error("cluster worker did not answer within 1s"));
      }, 1000).unref();
    });
  const command = (cmd: Command) =>
    new Promise<CommandOutcome>((resolve) => {
      const id = nextId++;
      commands.set(id, resolve);
      toWorker({ t: "event", event: { kind: "command", id, cmd } });
    });
  let token: string | undefined;
  try {
    token = config.api.token_file ? readFileSync(config.api.token_file, "utf8").trim() : undefined;
  } catch (err) {
    await worker.terminate();
    throw new StartupError(`api.token_file ${config.api.token_file}: ${(err as Error).message}`);
  }
  try {
    await vservers.start();
  } catch (err) {
    await vservers.stop();
    await worker.terminate();
    throw new StartupError(`virtual servers: ${(err as Error).message}`);
  }
  let api: Server;
  try {
    metrics = new Metrics(name, status, init.spec, () => vservers.status());
    const m = metrics;
    const apiStatus = async () => {
      const s = await status();
      return { ...s, cluster: clusterInfo(init.spec, s.name, s.peers), virtual_servers: vservers.status() };
    };
    api = await startApi(apiListen as Endpoint, {
      status: apiStatus, command, events: () => [...recent], metrics: () => m.render(),
      get token() {
        return token;
      },
    });
  } catch (err) {
    await vservers.stop();
    await worker.terminate();
    throw new StartupError(`cannot listen on ${opts.api ?? config.api.listen} for the API: ${(err as Error).message}`);
  }
  nlog.info({ api: opts.api ?? config.api.listen }, `vigil ${name} running in cluster ${config.cluster.name}`);

  const reloader = new Reloader(opts.configFile, config, init.keyHex, [
    groupsPart({ runner, notifier, status, post: toWorker, listener: (g) => vservers.listenerOf(g), owner }),
    tokenPart(() => token, (t) => (token = t)),
    { name: "virtual servers", apply: (_current, next, plan) => (plan.virtualServers ? vservers.apply(next) : []) },
  ], nlog);

  return {
    name,
    reload: () => reloader.reload(),
    async drain(timeoutMs: number) {
      leaving = true;
      toWorker({ t: "event", event: { kind: "standby", on: true } });
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const s = await status().catch(() => undefined);
        if (s && Object.values(s.groups).every((g) => g === "stopped")) return true;
        await new Promise((r) => setTimeout(r, 20));
      }
      return false;
    },
    async stop() {
      if (tiebreakerTimer) clearTimeout(tiebreakerTimer);
      runner.close();
      api.close();
      await vservers.stop();
      toWorker({ t: "stop" });
      await worker.terminate();
    },
  };
}
