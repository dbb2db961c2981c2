// Every key under the prefix as of the last linearizable read, kept current by reads that return only
// what changed: etcd's min_mod_revision filter leaves out keys not modified since the last read, and the
// answer's count still counts every key. A key untouched since then is unchanged; a put (also of a key
// deleted and created again) comes back; a deletion alone comes back as nothing, but the count then
// falls below the keys known, and the next read is a whole one. So each answer is the whole prefix as of
// its revision, as a full read would have been, at the cost of the changes only.
import type { KeyRange, KeyValue, RangeResult } from "./kv.js";

/** A read's answer made whole, and whether anything differs from the read before. */
export interface MirroredRead {
  result: RangeResult;
  changed: boolean;
}

/** The keys of one prefix, as of a revision (0: none read yet). */
export class KeyMirror {
  private kvs = new Map<string, KeyValue>();
  private revision = 0;

  constructor(private readonly range: KeyRange) {}

  /** The read to send next: changes since the last read, or the whole prefix when there was none. */
  next(): KeyRange {
    return this.revision > 0 ? { ...this.range, minModRevision: this.revision + 1 } : this.range;
  }

  /** Takes the answer to a read sent as `sent` (what next() returned). Undefined when keys were deleted
   * since the last read or the answer is older than it: nothing is known until a whole read answers. */
  apply(sent: KeyRange, r: RangeResult): MirroredRead | undefined {
    const since = sent.minModRevision ?? 0;
    if (since === 0) {
      this.kvs = new Map(r.kvs.map((kv) => [kv.key, kv]));
      this.revision = r.revision;
      return { result: { revision: r.revision, kvs: r.kvs, count: r.kvs.length }, changed: true };
    }
    if (since !== this.revision + 1 || r.revision < this.revision) {
      this.reset();
      return undefined;
    }
    for (const kv of r.kvs) this.kvs.set(kv.key, kv);
    if (this.kvs.size !== r.count) {
      this.reset();
      return undefined;
    }
    this.revision = r.revision;
    const kvs = [...this.kvs.values()];
    return { result: { revision: r.revision, kvs, count: kvs.length }, changed: r.kvs.length > 0 };
  }

  /** Forgets every key: the next read is whole. */
  reset(): void {
    this.kvs.clear();
    this.revision = 0;
  }
}
