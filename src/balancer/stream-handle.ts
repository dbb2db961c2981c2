// Node's TCP stream handles, used directly. net.Socket wraps each of them in a full stream with event
// emitters and buffering; for a proxy that only moves bytes from one socket to the other that costs
// about as much CPU as the kernel work itself (≈170 µs vs ≈95 µs per proxied connection, measured by
// bench/proxy.ts). These are the handles net.Socket itself is built on (`process.binding`, allowed for
// tcp_wrap and stream_wrap); the shapes below are the parts we use, checked once at load.
import { getSystemErrorMap } from "node:util";

/** Address of a socket's end as the handle reports it. */
export interface HandleAddress {
  address?: string;
  port?: number;
  family?: string;
}

/** A request object the handle completes later (connect, write, shutdown). */
interface Req {
  oncomplete: (status: number) => void;
  handle?: TcpHandle;
  /** The bytes of a write, kept reachable until it completes (libuv writes from their memory). */
  buffer?: Uint8Array;
  address?: string;
  port?: number;
}

/** A connected or listening TCP socket (libuv's uv_tcp_t). Methods return 0 or a negative errno. */
export interface TcpHandle {
  /** Called for every read: the count (or a negative errno / EOF) is in `lastReadCount()`. */
  onread: (this: TcpHandle, data: ArrayBuffer | undefined) => Uint8Array | undefined | void;
  onconnection: (status: number, client: TcpHandle | undefined) => void;
  /** Bytes queued in the kernel-bound write queue. */
  readonly writeQueueSize: number;
  bind(ip: string, port: number): number;
  bind6(ip: string, port: number, flags: number): number;
  listen(backlog: number): number;
  connect(req: Req, ip: string, port: number): number;
  connect6(req: Req, ip: string, port: number): number;
  readStart(): number;
  readStop(): number;
  /** Reads go into `buffer` (at offset 0) instead of a new allocation each time. */
  useUserBuffer(buffer: Uint8Array): void;
  writeBuffer(req: Req, data: Uint8Array): number;
  shutdown(req: Req): number;
  setNoDelay(on: boolean): number;
  getpeername(out: HandleAddress): number;
  getsockname(out: HandleAddress): number;
  close(done?: () => void): void;
  /** Closes with a reset (RST) instead of a FIN. */
  reset(done?: () => void): number;
}

interface TcpWrapBinding {
  TCP: new (type: number) => TcpHandle;
  TCPConnectWrap: new () => Req;
  constants: { SOCKET: number; SERVER: number };
}
interface StreamWrapBinding {
  WriteWrap: new () => Req;
  ShutdownWrap: new () => Req;
  streamBaseState: Int32Array;
  kReadBytesOrError: number;
  kArrayBufferOffset: number;
  kLastWriteWasAsync: number;
}

const bindings = process as unknown as { binding(name: string): unknown };
const tcp = bindings.binding("tcp_wrap") as TcpWrapBinding;
const stream = bindings.binding("stream_wrap") as StreamWrapBinding;
for (const [name, ok] of [
  ["tcp_wrap.TCP", typeof tcp.TCP === "function" && typeof tcp.TCP.prototype.connect === "function"],
  ["stream_wrap.WriteWrap", typeof stream.WriteWrap === "function" && stream.streamBaseState instanceof Int32Array],
] as const) {
  if (!ok)
    throw Object.assign(
      new Error(
        `E_RUNTIME: this Node.js (${process.version}) lacks ${name}, which vigil's proxy needs; use Node.js 20 or 22`,
      ),
      { code: "E_RUNTIME" },
    );
}
const state = stream.streamBaseState;

/** libuv's end-of-stream read count. */
export const EOF = -4095;

/** Count of the read being delivered to `onread` (bytes, EOF or a negative errno). */
export function lastReadCount(): number {
  return state[stream.kReadBytesOrError] ?? 0;
}

/** The bytes of a read delivered without a user buffer. */
export function readView(data: ArrayBuffer, n: number): Uint8Array {
  return new Uint8Array(data, state[stream.kArrayBufferOffset] ?? 0, n);
}

/** An Error with the errno's name as `code` and libuv's text: "address not available (EADDRNOTAVAIL)". */
export function errnoError(errno: number): NodeJS.ErrnoException {
  const [code, text] = getSystemErrorMap().get(errno) ?? [`E${-errno}`, "unknown error"];
  return Object.assign(new Error(`${text} (${code})`), { code, errno });
}

/** Human text of an errno ("connection refused"). */
export function errnoText(errno: number): string {
  return getSystemErrorMap().get(errno)?.[1] ?? `error ${errno}`;
}

/** Listens on ip:port; throws an ErrnoException (EADDRINUSE, EADDRNOTAVAIL…) when it cannot. */
export function listenTcp(
  ip: string,
  port: number,
  backlog: number,
  onConnection: (client: TcpHandle) => void,
): TcpHandle {
  const server = new tcp.TCP(tcp.constants.SERVER);
  const err = ip.includes(":") ? server.bind6(ip, port, 0) : server.bind(ip, port);
  const listenErr = err || server.listen(backlog);
  if (listenErr) {
    server.close();
    throw errnoError(listenErr);
  }
  server.onconnection = (status, client) => {
    if (status === 0 && client) onConnection(client);
  };
  return server;
}

/** Starts connecting to ip:port; `done` gets 0 or a negative errno. Returns the handle, or the errno
 * when the connect could not even start. */
export function connectTcp(ip: string, port: number, done: (status: number) => void): TcpHandle | number {
  const handle = new tcp.TCP(tcp.constants.SOCKET);
  const req = new tcp.TCPConnectWrap();
  req.oncomplete = done;
  req.address = ip;
  req.port = port;
  const err = ip.includes(":") ? handle.connect6(req, ip, port) : handle.connect(req, ip, port);
  if (err) {
    handle.close();
    return err;
  }
  return handle;
}

/** Writes `data`: returns 0 when the kernel took it all at once, 1 when it is queued (then `data`
 * must stay untouched until `done`), or a negative errno. The request holds `data` until then, as
 * net.Socket does: a queued write of a read's own buffer that nothing else references would otherwise
 * let the garbage collector free the memory libuv is still sending from. */
export function writeTo(handle: TcpHandle, data: Uint8Array, done: (status: number) => void): number {
  const req = new stream.WriteWrap();
  req.handle = handle;
  req.buffer = data;
  req.oncomplete = done;
  const err = handle.writeBuffer(req, data);
  if (err) return err;
  return state[stream.kLastWriteWasAsync] ? 1 : 0;
}

/** Sends a FIN once queued writes are out; `done` gets 0 or a negative errno. */
export function shutdownTcp(handle: TcpHandle, done: (status: number) => void): number {
  const req = new stream.ShutdownWrap();
  req.handle = handle;
  req.oncomplete = done;
  return handle.shutdown(req);
}
