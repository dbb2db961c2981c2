// The composition root: loads the config, starts the cluster worker, the group runner and the API,
// and wires them together. The only module that knows both the core and the adapters.
import { readFileSync } from "node:fs";
import type { Server } from "node:http";
import { Worker } from "node:worker_threads";
import { formatIssue, loadConfigFile } from "../adapters/config-file.js";
import { createLogger, type Logger } from "../adapters/logger.js";
import { createAgent, type ResourceAgent } from "../adapters/resources/agent.js";
import { startApi } from "../api/server.js";
import { clusterSpecFrom } from "../core/cluster/spec.js";
import type { Config } from "../core/config/schema.js";
import { parseEndpoint, type Endpoint } from "../core/net/address.js";
import { GroupRunner } from "./group-runner.js";
import { linksOf, pickNode } from "./node-identity.js";
import type { FromWorker, ToWorker, WorkerStatus } from "./worker-protocol.js";
import type { WorkerInit } from "./cluster-worker.js";

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
  stop(): Promise<void>;
}

/** Thrown for problems the operator must fix before the daemon can start. */
export class StartupError extends Error {}

function readKey(file: string): Buffer {
  return Buffer.from(readFileSync(file, "utf8").trim(), "utf8");
}

function agentsFor(config: Config): Map<string, ResourceAgent[]> {
  const problems: string[] = [];
  const agents = new Map<string, ResourceAgent[]>();
  config.groups.forEach((g, gi) => {
    agents.set(g.name, g.resources.flatMap((r, ri) => {
      try {
        return [createAgent(r)];
      } catch (err) {
        problems.push(`groups[${gi}].resources[${ri}]: ${(err as Error).message}`);
        return [];
      }
    }));
  });
  if (problems.length > 0) throw new StartupError(problems.join("\n"));
  return agents;
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
  const agents = agentsFor(config);
  const nlog = log.child({ node: name });

  const init: WorkerInit = {
    spec: clusterSpecFrom(config),
    self: linksOf(config, name),
    peers: config.nodes.filter((n) => n.name !== name).map((n) => linksOf(config, n.name)),
    keyHex: readKey(config.cluster.key_file).toString("hex"),
    incarnation: Date.now(),
  };
  const worker = new Worker(new URL("./cluster-worker.js", import.meta.url), { workerData: init });
  const toWorker = (m: ToWorker) => worker.postMessage(m);
  const runner = new GroupRunner(agents, (event) => toWorker({ t: "event", event }), nlog);
  const pending = new Map<number, (s: WorkerStatus) => void>();
  let nextId = 1;

  const ready = new Promise<void>((resolve, reject) => {
    worker.on("message", (m: FromWorker) => {
      switch (m.t) {
        case "ready": return resolve();
        case "fatal": return reject(new StartupError(m.message));
        case "decisions":
          for (const line of m.lines) nlog.info({ decision: true, at: m.at }, line);
          return;
        case "action":
          void runner.run(m.action);
          return;
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

  const status = () =>
    new Promise<WorkerStatus>((resolve, reject) => {
      const id = nextId++;
      pending.set(id, resolve);
      toWorker({ t: "status?", id });
      setTimeout(() => {
        if (pending.delete(id)) reject(new Error("cluster worker did not answer within 1s"));
      }, 1000).unref();
    });
  let api: Server;
  try {
    api = await startApi(apiListen as Endpoint, { status });
  } catch (err) {
    await worker.terminate();
    throw new StartupError(`cannot listen on ${opts.api ?? config.api.listen} for the API: ${(err as Error).message}`);
  }
  nlog.info({ api: opts.api ?? config.api.listen }, `vigil ${name} running in cluster ${config.cluster.name}`);

  return {
    name,
    async drain(timeoutMs: number) {
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
      api.close();
      toWorker({ t: "stop" });
      await worker.terminate();
    },
  };
}
