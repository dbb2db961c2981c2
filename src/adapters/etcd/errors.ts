// Every etcd failure is an EtcdError with a stable code: the caller treats any of them as "etcd did not
// confirm", never as success (fail closed).

import type { EtcdErrorCode } from "../../core/etcd/kv.js";

export type { EtcdErrorCode };

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
