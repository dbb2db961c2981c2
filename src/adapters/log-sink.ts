// Where log lines go: a file descriptor written asynchronously (a slow reader never blocks the main
// thread), with an error boundary. A write that fails is counted and its lines are dropped (EAGAIN: kept
// and retried shortly); at most `maxBytes` wait (and as much is in flight), later lines are dropped and counted; at exit one
// synchronous attempt flushes what waits. No failure of the destination throws, loops or blocks.
import { write, writeSync } from "node:fs";

/** Bytes of log lines held while the destination does not take them, by default. */
export const MAX_BUFFERED_LOG_BYTES = 4 * 1024 * 1024;
/** Wait before retrying a write that got EAGAIN (the reader is slow), ms. */
const EAGAIN_RETRY_MS = 50;

/** What failed to reach the log: write errors by errno code, and lines lost (failed or dropped). */
export interface LogSinkFailures {
  errors: Record<string, number>;
  lostLines: number;
}

/** A pino destination on a file descriptor that never throws. */
export class LogSink {
  private queue: string[] = [];
  private queuedBytes = 0;
  private writing = false;
  private lostSinceNote = 0;
  readonly failures: LogSinkFailures = { errors: {}, lostLines: 0 };

  /** `onRecovered(lost)` is called after a successful write that follows lost lines. */
  constructor(
    private fd: number,
    private onRecovered: (lost: number) => void = () => undefined,
    private maxBytes = MAX_BUFFERED_LOG_BYTES,
  ) {}

  /** Queues one line (pino calls this); always returns true. */
  write(line: string): boolean {
    const bytes = Buffer.byteLength(line);
    if (this.queuedBytes + bytes > this.maxBytes) {
      this.lose(1);
      return true;
    }
    this.queue.push(line);
    this.queuedBytes += bytes;
    if (!this.writing) this.next();
    return true;
  }

  /** One synchronous attempt to write what waits (at exit); errors are counted, never thrown. */
  flushSync(): void {
    if (this.writing || this.queue.length === 0) return;
    const lines = this.queue.length;
    const buf = Buffer.from(this.queue.join(""));
    this.queue = [];
    this.queuedBytes = 0;
    try {
      writeSync(this.fd, buf);
    } catch (err) {
      this.count(err as NodeJS.ErrnoException);
      this.lose(lines);
    }
  }

  private next(): void {
    if (this.queue.length === 0) {
      this.writing = false;
      return;
    }
    this.writing = true;
    const lines = this.queue.length;
    const buf = Buffer.from(this.queue.join(""));
    this.queue = [];
    this.queuedBytes = 0; // what is in flight is bounded by maxBytes as well
    this.send(buf, lines);
  }

  /** Writes `buf` (holding `lines` lines) to the end, then goes on with the queue. */
  private send(buf: Buffer, lines: number): void {
    write(this.fd, buf, 0, buf.length, null, (err, n) => {
      if (err) {
        this.count(err);
        if (err.code === "EAGAIN") return void setTimeout(() => this.send(buf, lines), EAGAIN_RETRY_MS).unref();
        this.lose(lines);
        return this.next();
      }
      if (n < buf.length) return this.send(buf.subarray(n), lines);
      if (this.lostSinceNote > 0) {
        const lost = this.lostSinceNote;
        this.lostSinceNote = 0;
        this.onRecovered(lost);
      }
      this.next();
    });
  }

  private count(err: NodeJS.ErrnoException): void {
    const code = err.code ?? "error";
    this.failures.errors[code] = (this.failures.errors[code] ?? 0) + 1;
  }

  private lose(lines: number): void {
    this.failures.lostLines += lines;
    this.lostSinceNote += lines;
  }
}
