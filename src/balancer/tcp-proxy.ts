// The userspace TCP proxy of one virtual server: accepts clients, connects each to the real server the
// balancer chooses (retrying the next one after a failed or slow connect), optionally sends a PROXY
// protocol header, then relays bytes both ways with back-pressure and half-close.
import { connect, createServer, type Server, type Socket } from "node:net";
import type { Balancer } from "../core/balancer/balancer.js";
import { proxyV1, proxyV2 } from "../core/balancer/proxy-header.js";
import type { Endpoint } from "../core/net/address.js";

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

interface Link {
  client: Socket;
  upstream: Socket;
  address: string;
  sorry: boolean;
  /** Bytes relayed either way, and the count at the last idle sweep. */
  bytes: number;
  seen: number;
  idleMs: number;
}

/** Socket buffer size: large enough that a 64 KiB read rarely has to pause the other side. */
const HIGH_WATER_MARK = 256 * 1024;

/** Size of the buffer each real-server connection reads into (HAProxy's is 16 KiB). */
const READ_BUFFER = 32 * 1024;
/** How many free read buffers are kept for new connections (1024 × 32 KiB = 32 MiB at most). */
const POOL_LIMIT = 1024;
const bufferPool: Buffer[] = [];
const takeBuffer = () => bufferPool.pop() ?? Buffer.allocUnsafeSlow(READ_BUFFER);
const giveBuffer = (b: Buffer) => void (bufferPool.length < POOL_LIMIT && bufferPool.push(b));

function hostPort(address: string): { host: string; port: number } {
  const i = address.lastIndexOf(":");
  return { host: address.slice(0, i).replace(/^\[|\]$/g, ""), port: Number(address.slice(i + 1)) };
}

/** One virtual server's listener and its connections. */
export class TcpProxy {
  readonly counters: ProxyCounters = { active: 0, total: 0, refused: 0, failed: 0, bytesIn: 0, bytesOut: 0, sorryActive: 0 };
  private server: Server | undefined;
  private links = new Map<string, Set<Link>>();
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
    const server = createServer({ allowHalfOpen: true, pauseOnConnect: true, noDelay: true, highWaterMark: HIGH_WATER_MARK }, (c) => this.accept(c));
    const { ip, port } = this.settings.listen;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen({ host: ip.text, port, backlog: 4096, exclusive: true }, () => {
        server.off("error", reject);
        resolve();
      });
    });
    server.on("error", () => undefined);
    this.server = server;
    this.startSweeper();
  }

  /** Idle connections are found by a sweep comparing byte counts, which costs nothing per chunk
   * (a socket timeout would re-arm a timer on every read and write). */
  private startSweeper(): void {
    const every = Math.max(10, Math.min(1000, Math.floor(this.settings.idleTimeoutMs / 4)));
    this.sweeper = setInterval(() => {
      const limit = this.settings.idleTimeoutMs;
      for (const set of this.links.values()) {
        for (const l of set) {
          if (l.bytes !== l.seen) [l.seen, l.idleMs] = [l.bytes, 0];
          else if ((l.idleMs += every) >= limit) this.abort(l);
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
    for (const set of this.links.values()) for (const l of set) this.abort(l);
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Closes the open connections to `address` (it failed and the virtual server is not quiescent). */
  drop(address: string): void {
    for (const l of this.links.get(address) ?? []) this.abort(l);
  }

  private accept(client: Socket): void {
    if (this.counters.active >= this.settings.maxConnections) {
      this.counters.refused++;
      client.on("error", () => undefined);
      client.destroy();
      return;
    }
    this.counters.active++;
    this.counters.total++;
    client.on("error", () => undefined);
    let closed = false;
    client.once("close", () => {
      if (!closed) this.counters.active--;
      closed = true;
    });
    this.attempt(client, new Set(), 0);
  }

  private attempt(client: Socket, tried: Set<string>, attempt: number): void {
    if (client.destroyed) return;
    const clientIp = client.remoteAddress ?? "";
    const choice = this.balancer.choose(clientIp, this.now(), tried);
    if (!choice) {
      this.counters.failed++;
      this.events.noServer(clientIp);
      client.destroy();
      return;
    }
    const { host, port } = hostPort(choice.address);
    const buffer = takeBuffer();
    let link: Link | undefined;
    // Responses are read into one reused buffer per connection and written on at once; while a write
    // is still queued (it points into that buffer) reading pauses until the client side drains.
    const onread = {
      buffer,
      callback: (n: number, buf: Uint8Array): boolean => {
        if (!link) return true;
        this.counters.bytesOut += n;
        link.bytes += n;
        client.write(buf.subarray(0, n));
        return client.writableLength === 0;
      },
    };
    const options = { host, port, allowHalfOpen: true, noDelay: true, highWaterMark: HIGH_WATER_MARK, onread }; // net.Socket passes highWaterMark on to its streams
    const upstream = connect(options);
    const timer = setTimeout(() => fail(`no connection within ${this.settings.connectTimeoutMs}ms`), this.settings.connectTimeoutMs);
    const fail = (reason: string) => {
      clearTimeout(timer);
      giveBuffer(buffer);
      upstream.removeAllListeners("connect");
      upstream.on("error", () => undefined);
      upstream.destroy();
      this.events.connectFailed(choice.address, reason);
      tried.add(choice.address);
      if (attempt < this.settings.retries && !client.destroyed) this.attempt(client, tried, attempt + 1);
      else {
        this.counters.failed++;
        client.destroy();
      }
    };
    upstream.once("error", (err: NodeJS.ErrnoException) => fail(err.code === "ECONNREFUSED" ? "connection refused" : err.message));
    upstream.once("connect", () => {
      clearTimeout(timer);
      upstream.removeAllListeners("error");
      if (client.destroyed) {
        upstream.destroy();
        return;
      }
      link = { client, upstream, address: choice.address, sorry: choice.sorry, bytes: 0, seen: 0, idleMs: 0 };
      this.relay(link, buffer);
    });
  }

  private relay(link: Link, buffer: Buffer): void {
    const { client, upstream, address } = link;
    const clientIp = client.remoteAddress ?? "";
    if (link.sorry) this.counters.sorryActive++;
    else this.balancer.opened(clientIp, address, this.now());
    let set = this.links.get(address);
    if (!set) this.links.set(address, (set = new Set()));
    set.add(link);
    if (this.settings.proxyProtocol !== "none") {
      const ends = { sourceIp: clientIp, sourcePort: client.remotePort ?? 0, destIp: client.localAddress ?? "", destPort: client.localPort ?? 0 };
      upstream.write(this.settings.proxyProtocol === "v1" ? proxyV1(ends) : proxyV2(ends));
    }
    upstream.on("error", () => this.abort(link));
    client.on("error", () => this.abort(link));
    this.pump(client, upstream, (n) => {
      this.counters.bytesIn += n;
      link.bytes += n;
    });
    client.on("drain", () => upstream.isPaused() && upstream.resume());
    upstream.once("end", () => client.end());
    let open = 2;
    const closed = () => {
      if (--open > 0) return;
      set.delete(link);
      giveBuffer(buffer);
      if (link.sorry) this.counters.sorryActive--;
      else this.balancer.closed(clientIp, address, this.now());
    };
    client.once("close", closed);
    upstream.once("close", closed);
    client.resume();
  }

  /** Relays `from` → `to`: pauses `from` while `to` is full, and passes on a half-close. */
  private pump(from: Socket, to: Socket, count: (n: number) => void): void {
    from.on("data", (chunk: Buffer) => {
      count(chunk.length);
      if (!to.write(chunk)) from.pause();
    });
    to.on("drain", () => from.resume());
    from.once("end", () => to.end());
  }

  /** Tears both sides down at once (reset where the socket allows it). */
  private abort(link: Link): void {
    for (const s of [link.client, link.upstream]) {
      if (s.destroyed) continue;
      if (typeof s.resetAndDestroy === "function" && s.readyState !== "opening") s.resetAndDestroy();
      else s.destroy();
    }
  }
}
