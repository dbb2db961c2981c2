// The userspace TCP proxy of one virtual server: accepts clients, connects each to the real server the
// balancer chooses (retrying the next one after a failed or slow connect), optionally sends a PROXY
// protocol header, then relays bytes both ways (relay.ts). Works on Node's TCP handles directly
// (stream-handle.ts): a net.Socket per side would double the CPU each proxied connection costs.
import type { Balancer } from "../core/balancer/balancer.js";
import { proxyV1, proxyV2 } from "../core/balancer/proxy-header.js";
import type { Endpoint } from "../core/net/address.js";
import { Relay } from "./relay.js";
import { connectTcp, errnoText, listenTcp, type HandleAddress, type TcpHandle } from "./stream-handle.js";

/** Settings of the proxy that are not the balancer's. */
export interface ProxySettings {
  listen: Endpoint;
  connectTimeoutMs: number;
  retries: number;
  idleTimeoutMs: number;
  proxyProtocol: "none" | "v1" | "v2";
  maxConnections: number;
}

/** Counters of the proxy. */
export interface ProxyCounters {
  active: number;
  total: number;
  /** Refused at accept: over max_connections. */
  refused: number;
  /** Accepted but no server could be reached. */
  failed: number;
  bytesIn: number;
  bytesOut: number;
  /** Open connections to the sorry server. */
  sorryActive: number;
}

/** Told of proxy happenings (logs, metrics). */
export interface ProxyEvents {
  connectFailed(address: string, reason: string): void;
  noServer(clientIp: string): void;
}

/** A client waiting for its real server connection. */
interface Pending {
  client: TcpHandle;
  clientIp: string;
  clientPort: number;
  tried: Set<string>;
  upstream: TcpHandle | undefined;
  timer: NodeJS.Timeout | undefined;
}

/** An open client ↔ real server pair. */
interface Link {
  relay: Relay;
  address: string;
  /** Bytes relayed at the last idle sweep, and for how long that count has not moved. */
  seen: number;
  idleMs: number;
}

/** Size of the buffer each real-server connection reads into (HAProxy's is 16 KiB). */
const READ_BUFFER = 32 * 1024;
/** How many free read buffers are kept for new connections (1024 × 32 KiB = 32 MiB at most). */
const POOL_LIMIT = 1024;
const bufferPool: Uint8Array[] = [];
const takeBuffer = () => bufferPool.pop() ?? new Uint8Array(READ_BUFFER);
const giveBuffer = (b: Uint8Array) => void (bufferPool.length < POOL_LIMIT && bufferPool.push(b));

function hostPort(address: string): { host: string; port: number } {
  const i = address.lastIndexOf(":");
  return { host: address.slice(0, i).replace(/^\[|\]$/g, ""), port: Number(address.slice(i + 1)) };
}

/** One virtual server's listener and its connections. */
export class TcpProxy {
  readonly counters: ProxyCounters = {
    active: 0,
    total: 0,
    refused: 0,
    failed: 0,
    bytesIn: 0,
    bytesOut: 0,
    sorryActive: 0,
  };
  private server: TcpHandle | undefined;
  private links = new Map<string, Set<Link>>();
  private pending = new Set<Pending>();
  private sweeper: NodeJS.Timeout | undefined;

  constructor(
    private settings: ProxySettings,
    private balancer: Balancer,
    private events: ProxyEvents,
    private now: () => number = Date.now,
  ) {}

  /** Whether it is listening. */
  get listening(): boolean {
    return this.server !== undefined;
  }

  /** Changes timeouts, retries, PROXY protocol and the connection limit for new connections. */
  update(settings: ProxySettings): void {
    this.settings = settings;
  }

  /** Starts listening; rejects with the OS's reason (e.g. the address is not on this host). */
  async listen(): Promise<void> {
    if (this.server) return;
    const { ip, port } = this.settings.listen;
    this.server = listenTcp(ip.text, port, 4096, (client) => this.accept(client));
    this.startSweeper();
  }

  /** Idle connections are found by a sweep comparing byte counts, which costs nothing per chunk
   * (a timer per connection would be re-armed on every read and write). */
  private startSweeper(): void {
    const every = Math.max(10, Math.min(1000, Math.floor(this.settings.idleTimeoutMs / 4)));
    this.sweeper = setInterval(() => {
      const limit = this.settings.idleTimeoutMs;
      for (const set of this.links.values()) {
        for (const l of set) {
          if (l.relay.bytes !== l.seen) [l.seen, l.idleMs] = [l.relay.bytes, 0];
          else if ((l.idleMs += every) >= limit) l.relay.abort();
        }
      }
    }, every);
    this.sweeper.unref();
  }

  /** Stops listening and closes every open connection. */
  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (this.sweeper) clearInterval(this.sweeper);
    for (const p of [...this.pending]) this.giveUp(p);
    for (const set of this.links.values()) for (const l of set) l.relay.abort();
    if (server) await new Promise<void>((resolve) => server.close(resolve));
  }

  /** Closes the open connections to `address` (it failed and the virtual server is not quiescent). */
  drop(address: string): void {
    for (const l of this.links.get(address) ?? []) l.relay.abort();
  }

  private accept(client: TcpHandle): void {
    if (this.counters.active >= this.settings.maxConnections) {
      this.counters.refused++;
      client.close();
      return;
    }
    this.counters.active++;
    this.counters.total++;
    const peer: HandleAddress = {};
    client.getpeername(peer);
    const p: Pending = {
      client,
      clientIp: peer.address ?? "",
      clientPort: peer.port ?? 0,
      tried: new Set(),
      upstream: undefined,
      timer: undefined,
    };
    this.pending.add(p);
    this.attempt(p, 0);
  }

  /** The client is closed without a real server (none reachable, or the proxy is closing). */
  private giveUp(p: Pending): void {
    if (!this.pending.delete(p)) return;
    clearTimeout(p.timer);
    p.upstream?.close();
    p.upstream = undefined;
    p.client.close();
    this.counters.active--;
  }

  private attempt(p: Pending, attempt: number): void {
    const choice = this.balancer.choose(p.clientIp, this.now(), p.tried);
    if (!choice) {
      this.counters.failed++;
      this.events.noServer(p.clientIp);
      this.giveUp(p);
      return;
    }
    const { host, port } = hostPort(choice.address);
    let settled = false;
    const fail = (reason: string) => {
      if (settled || !this.pending.has(p)) return;
      settled = true;
      clearTimeout(p.timer);
      p.upstream?.close();
      p.upstream = undefined;
      this.events.connectFailed(choice.address, reason);
      p.tried.add(choice.address);
      if (attempt < this.settings.retries) this.attempt(p, attempt + 1);
      else {
        this.counters.failed++;
        this.giveUp(p);
      }
    };
    const upstream = connectTcp(host, port, (status) => {
      if (settled || !this.pending.has(p)) return;
      if (status < 0) return fail(errnoText(status));
      settled = true;
      clearTimeout(p.timer);
      this.pending.delete(p);
      this.relay(p, choice.address, choice.sorry, upstream as TcpHandle);
    });
    if (typeof upstream === "number") return fail(errnoText(upstream));
    p.upstream = upstream;
    p.timer = setTimeout(
      () => fail(`no connection within ${this.settings.connectTimeoutMs}ms`),
      this.settings.connectTimeoutMs,
    );
  }

  private relay(p: Pending, address: string, sorry: boolean, upstream: TcpHandle): void {
    const { client, clientIp, clientPort } = p;
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    if (sorry) this.counters.sorryActive++;
    else this.balancer.opened(clientIp, address, this.now());
    let set = this.links.get(address);
    if (!set) this.links.set(address, (set = new Set()));
    const buffer = takeBuffer();
    const counters = this.counters;
    const link: Link = {
      address,
      seen: 0,
      idleMs: 0,
      relay: new Relay(client, upstream, buffer, {
        moved: (n, toServer) => void (toServer ? (counters.bytesIn += n) : (counters.bytesOut += n)),
        closed: () => {
          set.delete(link);
          giveBuffer(buffer);
          counters.active--;
          if (sorry) counters.sorryActive--;
          else this.balancer.closed(clientIp, address, this.now());
        },
      }),
    };
    set.add(link);
    if (this.settings.proxyProtocol !== "none") link.relay.sendToServer(this.proxyHeader(client, clientIp, clientPort));
    link.relay.start();
  }

  private proxyHeader(client: TcpHandle, clientIp: string, clientPort: number): Uint8Array {
    const local: HandleAddress = {};
    client.getsockname(local);
    const ends = { sourceIp: clientIp, sourcePort: clientPort, destIp: local.address ?? "", destPort: local.port ?? 0 };
    return this.settings.proxyProtocol === "v1" ? Buffer.from(proxyV1(ends), "latin1") : proxyV2(ends);
  }
}
