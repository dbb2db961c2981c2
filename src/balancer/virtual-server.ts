// One virtual server on this node: health checks of its real servers (always running, so a node that
// takes over knows at once which servers are up), the balancer, and the proxy that listens only while
// this node serves it.
import type { Logger } from "../adapters/logger.js";
import { Balancer, type BalancerSpec } from "../core/balancer/balancer.js";
import type { VirtualServerStatus } from "../core/balancer/status.js";
import type { VirtualServerConfig } from "../core/config/schema.js";
import { parseEndpoint } from "../core/net/address.js";
import { TcpProxy, type ProxySettings } from "./tcp-proxy.js";

/** The health checks of one virtual server's real servers, as the virtual server uses them. */
export interface HealthSource {
  start(): void;
  stop(): void;
  /** The real servers to check (reload). */
  setServers(addresses: string[]): void;
  /** The last check's outcome for `address`. */
  state(address: string): { up: boolean; detail: string; latencyMs?: number } | undefined;
}

/** Builds the health checks; `onTransition` is called once per up/down change. */
export type HealthFactory = (
  vs: VirtualServerConfig,
  onTransition: (address: string, up: boolean, reason: string) => void,
) => HealthSource;

/** How long a listen is retried while the address is still held by a previous owner or not yet up. */
const LISTEN_RETRY_MS = 3000;

function balancerSpec(vs: VirtualServerConfig): BalancerSpec {
  return {
    scheduler: vs.scheduler,
    quiescent: vs.quiescent,
    realServers: vs.real_servers,
    ...(vs.persistence !== undefined ? { persistenceMs: vs.persistence } : {}),
    ...(vs.sorry_server !== undefined ? { sorryServer: vs.sorry_server } : {}),
  };
}

function proxySettings(vs: VirtualServerConfig): ProxySettings {
  const listen = parseEndpoint(vs.listen);
  if (!listen) throw new Error(`virtual server ${vs.name}: listen ${vs.listen} is not IP:PORT`);
  return {
    listen,
    connectTimeoutMs: vs.connect_timeout,
    retries: vs.retries,
    idleTimeoutMs: vs.idle_timeout,
    proxyProtocol: vs.proxy_protocol,
    maxConnections: vs.max_connections,
  };
}

/** A virtual server: checks always, proxies while serving. */
export class VirtualServer {
  readonly balancer: Balancer;
  readonly proxy: TcpProxy;
  private health: HealthSource;
  private log: Logger;
  private makeHealth: HealthFactory;

  constructor(
    private config: VirtualServerConfig,
    /** The group whose owner serves it, if any. */
    readonly group: string | undefined,
    log: Logger,
    makeHealth: HealthFactory,
  ) {
    this.log = log.child({ virtualServer: config.name });
    this.balancer = new Balancer(balancerSpec(config));
    this.proxy = new TcpProxy(proxySettings(config), this.balancer, {
      connectFailed: (address, reason) =>
        this.log.debug({ realServer: address }, `connect to ${address} failed: ${reason}`),
      noServer: (ip) => this.log.debug({ client: ip }, "no real server could take the connection"),
    });
    this.makeHealth = makeHealth;
    this.health = makeHealth(config, (address, up) => this.onHealth(address, up));
  }

  get name(): string {
    return this.config.name;
  }

  /** True while this node listens for it. */
  get serving(): boolean {
    return this.proxy.listening;
  }

  private onHealth(address: string, up: boolean): void {
    const wasSorry = this.balancer.pool.noneAvailable();
    const effect = this.balancer.setHealth(address, up);
    if (effect.reason)
      this.log[effect.dropConnections ? "warn" : "debug"](
        { realServer: address, up },
        `${this.config.name}: ${effect.reason}`,
      );
    if (effect.dropConnections) this.proxy.drop(address);
    const isSorry = this.balancer.pool.noneAvailable();
    if (wasSorry !== isSorry && this.config.sorry_server) {
      this.log.warn(
        `${this.config.name}: ${isSorry ? `no real server available; sorry server ${this.config.sorry_server} takes connections` : "a real server is available again; sorry server takes no new connections"}`,
      );
    }
  }

  /** Starts the health checks. */
  start(): void {
    this.health.start();
  }

  /** Starts listening, retrying briefly while the address is still in use or not yet present. */
  async serve(): Promise<void> {
    const deadline = Date.now() + LISTEN_RETRY_MS;
    for (;;) {
      try {
        await this.proxy.listen();
        this.log.info(`${this.config.name}: listening on ${this.config.listen}`);
        return;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if ((code !== "EADDRINUSE" && code !== "EADDRNOTAVAIL") || Date.now() >= deadline) {
          throw new Error(`cannot listen on ${this.config.listen}: ${(err as Error).message}`);
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }

  /** Stops listening and closes its connections. */
  async unserve(): Promise<void> {
    if (!this.proxy.listening) return;
    await this.proxy.close();
    this.log.info(`${this.config.name}: stopped listening on ${this.config.listen}`);
  }

  /** Applies a reloaded config of the same virtual server (same listen address). */
  reconfigure(config: VirtualServerConfig): void {
    const checkChanged = JSON.stringify(config.check) !== JSON.stringify(this.config.check);
    this.config = config;
    this.proxy.update(proxySettings(config));
    this.balancer.reconfigure(balancerSpec(config));
    if (!checkChanged) return this.health.setServers(this.balancer.pool.addresses());
    this.health.stop();
    for (const a of this.balancer.pool.addresses()) this.balancer.setHealth(a, true);
    this.health = this.makeHealth(config, (address, up) => this.onHealth(address, up));
    this.health.start();
  }

  /** Stops checks and the proxy. */
  async stop(): Promise<void> {
    this.health.stop();
    await this.unserve();
  }

  /** This virtual server as status shows it. */
  status(): VirtualServerStatus {
    const c = this.proxy.counters;
    return {
      name: this.config.name,
      listen: this.config.listen,
      scheduler: this.config.scheduler,
      forward: "proxy",
      protocol: "tcp",
      ...(this.group ? { group: this.group } : {}),
      serving: this.proxy.listening,
      active: c.active,
      total: c.total,
      refused: c.refused + c.failed,
      bytesIn: c.bytesIn,
      bytesOut: c.bytesOut,
      realServers: this.balancer.pool.status((a) => this.health.state(a)),
      ...(this.config.sorry_server
        ? {
            sorry: {
              address: this.config.sorry_server,
              inUse: this.balancer.pool.noneAvailable(),
              active: c.sorryActive,
            },
          }
        : {}),
    };
  }
}
