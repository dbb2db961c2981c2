// Moves bytes both ways between a client and its real server on raw TCP handles: back-pressure (a side
// stops reading while the other's write queue is full), half-close (a FIN is passed on once what came
// before it is written, and the connection closes when both ways have ended), and resets (a read or
// write error on one side resets the other).
import { EOF, lastReadCount, readView, shutdownTcp, writeTo, type TcpHandle } from "./stream-handle.js";

/** Bytes a side may have queued for writing before the other side stops reading. */
const HIGH_WATER = 256 * 1024;

/** What the relay reports to its proxy. */
export interface RelayHooks {
  /** Bytes read from the client (`toServer`) or from the real server. */
  moved(n: number, toServer: boolean): void;
  /** Both handles are closed (after a clean end or a reset); called once. */
  closed(): void;
}

/** One direction: reads `from`, writes `to`. */
interface Flow {
  from: TcpHandle;
  to: TcpHandle;
  toServer: boolean;
  /** Reads go into this buffer; while a write from it is queued, reading stops. */
  buffer: Uint8Array | undefined;
  /** Reading stopped until `to`'s queue drains. */
  waiting: boolean;
  /** A FIN was asked for on `to` (a reset is then no longer possible there, only a close). */
  shutting: boolean;
  /** The FIN went out on `to`. */
  done: boolean;
}

/** A relay between a client and a real server connection, both already connected. */
export class Relay {
  /** Bytes moved either way (read by the idle sweep). */
  bytes = 0;
  private open = true;
  private handlesOpen = 2;
  private readonly up: Flow;
  private readonly down: Flow;

  constructor(
    private readonly client: TcpHandle,
    private readonly server: TcpHandle,
    serverReadBuffer: Uint8Array,
    private readonly hooks: RelayHooks,
  ) {
    this.up = this.flow(client, server, true, undefined);
    this.down = this.flow(server, client, false, serverReadBuffer);
  }

  /** Sends `data` to the real server ahead of anything the client sends (a PROXY protocol header). */
  sendToServer(data: Uint8Array): void {
    if (writeTo(this.server, data, (status) => status < 0 && this.abort()) < 0) this.abort();
  }

  /** Starts reading both sides. */
  start(): void {
    if (!this.open) return;
    this.client.readStart();
    this.server.readStart();
  }

  /** Resets both sides at once (a side that already sent its FIN is closed). */
  abort(): void {
    if (!this.open) return;
    this.open = false;
    const closed = () => this.handleClosed();
    for (const [h, shutting] of [
      [this.client, this.down.shutting],
      [this.server, this.up.shutting],
    ] as const) {
      // After a failed reset Node considers the handle closing and ignores close(), so never try one
      // where libuv refuses it (a shutdown was requested).
      if (shutting || h.reset(closed) !== 0) h.close(closed);
    }
  }

  private finish(): void {
    if (!this.open) return;
    this.open = false;
    this.client.close(() => this.handleClosed());
    this.server.close(() => this.handleClosed());
  }

  private handleClosed(): void {
    if (--this.handlesOpen === 0) this.hooks.closed();
  }

  private flow(from: TcpHandle, to: TcpHandle, toServer: boolean, buffer: Uint8Array | undefined): Flow {
    const f: Flow = { from, to, toServer, buffer, waiting: false, shutting: false, done: false };
    if (buffer) from.useUserBuffer(buffer);
    const onWritten = (status: number) => {
      if (status < 0) return this.abort();
      if (f.waiting && this.open && to.writeQueueSize < HIGH_WATER) {
        f.waiting = false;
        from.readStart();
      }
    };
    const onShutdown = (status: number) => {
      if (status < 0) return this.abort();
      f.done = true;
      if (this.up.done && this.down.done) this.finish();
    };
    from.onread = (data) => {
      const n = lastReadCount();
      if (n > 0) {
        this.bytes += n;
        this.hooks.moved(n, toServer);
        const queued = writeTo(to, data ? readView(data, n) : (buffer as Uint8Array).subarray(0, n), onWritten);
        if (queued < 0) return this.abort();
        if (queued === 1 && (buffer || to.writeQueueSize >= HIGH_WATER)) {
          f.waiting = true;
          from.readStop();
        }
        return;
      }
      if (n === 0 || !this.open) return;
      if (n !== EOF) return this.abort();
      f.shutting = true;
      if (shutdownTcp(to, onShutdown) < 0) this.abort();
    };
    return f;
  }
}
