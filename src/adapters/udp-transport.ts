// UDP transport: one socket per local link address; every message goes to every link of the peer
// that this node also has. The source address of a packet must be one of the sender's configured
// links (that index is the link reported to the core), and the packet must pass the frame checks.
// Cheapest first: the source address (a map lookup), the frame header (no cryptography), the source's
// budget of MAC verifications (a token bucket), and only then the HMAC and the payload decoder.
import { createSocket, type Socket } from "node:dgram";
import type { ClusterMsg } from "../core/cluster/messages.js";
import type { Endpoint } from "../core/net/address.js";
import { FrameCodec } from "./frame.js";
import { defaultBudget, SourceBudget, type BudgetOptions } from "./source-budget.js";

/** A node's name and its link endpoints, in link order. */
export interface LinkedNode {
  name: string;
  links: Endpoint[];
}

/** What the transport reports. */
export interface TransportHandlers {
  message(from: string, msg: ClusterMsg, link: number): void;
  /** A dropped packet; `source` and `major` are set for a known source speaking another major version. */
  drop(reason: string, detail?: { source: string; major: number }): void;
}

/** Sends and receives authenticated cluster messages over UDP. */
export class UdpTransport {
  private sockets: Socket[] = [];
  private clock: () => number;
  /** Configured peer links by port, then address (no string is built per packet). */
  private bySource = new Map<number, Map<string, { name: string; link: number }>>();
  private peers: Map<string, LinkedNode>;
  /** Send errors by errno code (an unreachable link is reported, not thrown). */
  readonly sendErrors: Record<string, number> = {};
  private budget: SourceBudget;

  constructor(
    readonly codec: FrameCodec,
    private self: LinkedNode,
    peers: LinkedNode[],
    private handlers: TransportHandlers,
    /** The heartbeat interval (ms) and, optionally, another per-source budget and clock (tests). */
    opts: { intervalMs: number; budget?: BudgetOptions; clock?: () => number },
  ) {
    this.budget = new SourceBudget(opts.budget ?? defaultBudget(opts.intervalMs));
    this.clock = opts.clock ?? (() => performance.now());
    this.peers = new Map(peers.map((p) => [p.name, p]));
    for (const p of peers)
      p.links.forEach((e, i) => {
        let byAddress = this.bySource.get(e.port);
        if (!byAddress) this.bySource.set(e.port, (byAddress = new Map()));
        byAddress.set(e.ip.text, { name: p.name, link: i });
      });
  }

  /** Binds one socket per local link. */
  async start(): Promise<void> {
    for (const [i, e] of this.self.links.entries()) {
      const socket = createSocket({ type: e.ip.family === 6 ? "udp6" : "udp4", reuseAddr: false });
      socket.on("message", (packet, rinfo) => this.onPacket(packet, rinfo.address, rinfo.port));
      socket.on("error", () => this.handlers.drop(`socket-error-link${i}`));
      await new Promise<void>((resolve, reject) => {
        socket.once("error", reject);
        socket.bind(e.port, e.ip.text, () => {
          socket.off("error", reject);
          resolve();
        });
      });
      this.sockets.push(socket);
    }
  }

  private onPacket(packet: Buffer, address: string, port: number): void {
    const sender = this.bySource.get(port)?.get(address);
    if (!sender) return this.handlers.drop("unknown-address");
    const r = this.codec.decode(packet, () => this.budget.take(`${address}|${port}`, this.clock()));
    if (!r.ok)
      return this.handlers.drop(r.drop, r.major === undefined ? undefined : { source: sender.name, major: r.major });
    this.handlers.message(sender.name, r.msg, sender.link);
  }

  /** Sends one message to one peer on every shared link. */
  send(to: string, msg: ClusterMsg): void {
    const peer = this.peers.get(to);
    if (!peer) return;
    const packet = this.codec.encode(msg);
    for (const [i, socket] of this.sockets.entries()) {
      const target = peer.links[i];
      if (!target) continue;
      socket.send(packet, target.port, target.ip.text, (err) => {
        if (err) {
          const code = (err as NodeJS.ErrnoException).code ?? "error";
          this.sendErrors[code] = (this.sendErrors[code] ?? 0) + 1;
        }
      });
    }
  }

  close(): void {
    for (const s of this.sockets) s.close();
    this.sockets = [];
  }
}
