// What every health check returns, and the words used for the usual socket failures.

/** The outcome of one check of one real server; checks never throw, they return this. */
export interface CheckResult {
  /** Whether the server passed. */
  ok: boolean;
  /** What happened, for people: "connected in 2ms", "connection refused", "HTTP 503 (expected 200)". */
  detail: string;
  /** How long the check took, ms. */
  latencyMs: number;
}

/** Where a health check goes: the real server's IP and the port to check. */
export interface CheckTarget {
  /** IPv4 or IPv6 address, without brackets. */
  ip: string;
  port: number;
}

const SOCKET_ERRORS: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  ECONNRESET: "connection reset by the server",
  EPIPE: "connection closed by the server",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  ETIMEDOUT: "timed out (kernel)",
  EADDRNOTAVAIL: "address not available on this host",
  EMFILE: "too many open files in vigil (raise its file limit)",
  ENFILE: "too many open files on this host",
};

/** A socket error in a few words: the known errno as a phrase, else Node's message. */
export function describeSocketError(err: NodeJS.ErrnoException): string {
  return (err.code && SOCKET_ERRORS[err.code]) ?? err.message;
}

/** Milliseconds since `started` (a performance.now() value), rounded to 0.1ms. */
export function elapsed(started: number): number {
  return Math.round((performance.now() - started) * 10) / 10;
}

/**
 * Calls `expire` `ms` from now, but only after I/O that is already waiting has been handled (the
 * verdict is deferred to setImmediate, which runs after the poll phase): a busy event loop must not
 * turn an answer that arrived in time into a timeout. Returns a function that cancels it.
 */
export function deadline(ms: number, expire: () => void): () => void {
  let immediate: NodeJS.Immediate | undefined;
  const timer = setTimeout(() => (immediate = setImmediate(expire)), ms);
  return () => {
    clearTimeout(timer);
    if (immediate) clearImmediate(immediate);
  };
}
