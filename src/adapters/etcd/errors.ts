// Every etcd failure is an EtcdError with a stable code: the caller treats any of them as "etcd did not
// confirm", never as success (fail closed).

/** Stable codes of etcd client failures. */
export type EtcdErrorCode =
  /** No endpoint could be reached or answered in time (connection refused, reset, timed out). */
  | "E_ETCD_UNAVAILABLE"
  /** One request got no complete answer within its time limit; it may or may not have been applied. */
  | "E_ETCD_TIMEOUT"
  /** etcd answered with an error (its gRPC code and message are in the message). */
  | "E_ETCD_REQUEST"
  /** The answer was not what the v3 JSON gateway sends (bad JSON, missing fields, numbers too large). */
  | "E_ETCD_PROTOCOL"
  /** etcd no longer has the session lease (it expired or was revoked on the server). */
  | "E_ETCD_LEASE_LOST"
  /** No keepalive was answered within the session's validity: the lease must be presumed gone. */
  | "E_ETCD_SESSION_EXPIRED"
  /** A write guarded by a fencing token was refused: the lock is no longer held with that token. */
  | "E_ETCD_FENCED"
  /** A watch asked for a revision etcd has already compacted: re-read, then watch from the new revision. */
  | "E_ETCD_COMPACTED"
  /** The client or session was closed by its owner. */
  | "E_ETCD_CLOSED";

/** An etcd operation that did not succeed; `code` is stable, `message` says what to check. */
export class EtcdError extends Error {
  constructor(
    readonly code: EtcdErrorCode,
    /** The message without the code. */
    readonly detail: string,
    /** The gRPC status code etcd answered with, for E_ETCD_REQUEST. */
    readonly grpcCode?: number,
  ) {
    super(`${detail} [${code}]`);
    this.name = "EtcdError";
  }
}

/** Whether `err` is an EtcdError with one of `codes`. */
export function isEtcdError(err: unknown, ...codes: EtcdErrorCode[]): err is EtcdError {
  return err instanceof EtcdError && (codes.length === 0 || codes.includes(err.code));
}
