// Locks and fenced writes on etcd. A lock is a key created by a transaction that requires it to be absent
// (create_revision == 0) and attaches it to the holder's session lease, so it disappears with the lease.
// Its create_revision is the fencing token: every write the holder makes about what the lock protects is
// a transaction that requires the lock key to still have that create_revision, so a holder whose lease
// expired (frozen, cut off) cannot write once another node took the lock, whatever it still believes.
import type { EtcdClient, Op, TxnResult } from "./client.js";
import type { KeyValue } from "./codec.js";
import { EtcdError } from "./errors.js";
import type { EtcdSession } from "./session.js";

/** A lock this node holds: its key and fencing token. */
export interface HeldLock {
  key: string;
  /** The lock key's create_revision: the fencing token of every write under this lock. */
  token: number;
  /** The session lease the lock key is attached to. */
  lease: string;
}

/** The outcome of an acquire: held, or held by someone else (`holder` undefined when the key vanished
 * between the compare and the read: try again). */
export type AcquireResult = { acquired: true; lock: HeldLock } | { acquired: false; holder?: KeyValue };

/** Takes lock `key` for `session` with `value` (who holds it), unless another holds it. Safe to repeat:
 * a key already held under this session's lease counts as acquired with its own token. */
export async function acquireLock(
  client: EtcdClient,
  session: EtcdSession,
  key: string,
  value: string,
): Promise<AcquireResult> {
  session.assertValid();
  const r = await client.txn(
    {
      compare: [{ key, target: "create", result: "EQUAL", value: 0 }],
      success: [{ put: { key, value, lease: session.id } }],
      failure: [{ range: { key } }],
    },
    "any",
  );
  if (r.succeeded) return { acquired: true, lock: { key, token: r.revision, lease: session.id } };
  const holder = r.responses[0]?.kvs[0];
  if (holder && holder.lease === session.id)
    return { acquired: true, lock: { key, token: holder.createRevision, lease: session.id } };
  return { acquired: false, holder };
}

/** Applies `ops` only while lock `key` still has create_revision `token`; throws E_ETCD_FENCED otherwise,
 * naming the current holder. This is etcd's own check: it holds whatever the writer believes. */
export async function fencedWrite(
  client: EtcdClient,
  lock: Pick<HeldLock, "key" | "token">,
  ops: Op[],
): Promise<TxnResult> {
  const r = await client.txn(
    {
      compare: [{ key: lock.key, target: "create", result: "EQUAL", value: lock.token }],
      success: ops,
      failure: [{ range: { key: lock.key } }],
    },
    "any",
  );
  if (r.succeeded) return r;
  const now = r.responses[0]?.kvs[0];
  throw new EtcdError(
    "E_ETCD_FENCED",
    `write refused: lock ${lock.key} is no longer held with token ${lock.token} (${now ? `now held with token ${now.createRevision} by ${JSON.stringify(now.value)}` : "now free"})`,
  );
}

/** A fenced write by the holder: refused at once when its own session is no longer valid (fail closed
 * without asking etcd), and by etcd when the token is stale. */
export async function holderWrite(
  client: EtcdClient,
  session: EtcdSession,
  lock: HeldLock,
  ops: Op[],
): Promise<TxnResult> {
  session.assertValid();
  return fencedWrite(client, lock, ops);
}

/** Releases the lock if it is still held with its token; returns whether it was. */
export async function releaseLock(client: EtcdClient, lock: Pick<HeldLock, "key" | "token">): Promise<boolean> {
  const r = await client.txn(
    {
      compare: [{ key: lock.key, target: "create", result: "EQUAL", value: lock.token }],
      success: [{ delete: { key: lock.key } }],
    },
    "any",
  );
  return r.succeeded;
}
