// The voter's side of every lease: a promise per lock to at most one holder at a time, kept until the
// holder releases it or the promise runs out. This table is what makes two holders impossible. A lock
// whose resources take time to stop carries an extension: a holder that falls silent keeps its promise
// for the lease plus that extension, the time its resources may still take to be gone (the group's
// stop budget, stretched by the drift margin). A holder that releases the lock has stopped them: the
// promise ends at once.

import { LEADER_LOCK } from "./spec.js";

/** A promise: `holder` may hold `lock` until local time `until` as far as this voter is concerned. */
export interface Promise_ {
  holder: string;
  until: number;
  /** How much longer than the lease it lasts when the holder falls silent (its stop budget). */
  extension: number;
  /** Made to an incarnation of the holder that has since restarted: kept until it runs out (its old
   * resources may still be stopping), neither renewed nor released by the new incarnation. */
  orphan?: boolean;
}

/** A voter's answer to one set of claims. */
export interface Verdict {
  granted: string[];
  denied: [string, string][];
}

/** The promise table of one voter. */
export class VoteTable {
  private promises = new Map<string, Promise_>();

  /** After a restart (at local time `bootAt`) a voter grants a lock only once every promise it may have
   * forgotten has run out: a lease plus the lock's extension. `extensionOf` gives a lock's extension
   * as this voter's config knows it (0 for the leader lock and unknown groups). */
  constructor(
    private lease: number,
    private bootAt: number,
    private extensionOf: (lock: string) => number = () => 0,
  ) {}

  /** Judges a node's current claims; locks it held here but no longer claims are released, except
   * `unclean` ones (a failed stop): their promise is neither renewed nor released, it runs out.
   * `claimed`: the extensions the claimant names; the larger of its and ours is kept. `heardAt`: when
   * the heartbeat carrying the claims arrived (earlier than `now` when a refused claim is judged again):
   * a promise runs a lease from there, since the holder counts its lease from that heartbeat too; a
   * silent claimant must not be kept alive by being judged again. */
  judge(
    now: number,
    from: string,
    claims: readonly string[],
    unclean: readonly string[] = [],
    claimed: Readonly<Record<string, number>> = {},
    heardAt = now,
  ): Verdict {
    for (const [lock, p] of this.promises)
      if (p.holder === from && !p.orphan && !claims.includes(lock) && !unclean.includes(lock))
        this.promises.delete(lock);
    const verdict: Verdict = { granted: [], denied: [] };
    for (const lock of claims) {
      const p = this.promises.get(lock);
      const extension = Math.max(this.extensionOf(lock), claimed[lock] ?? 0);
      if (now < this.quietEnd(lock, extension)) {
        verdict.denied.push([lock, p?.holder ?? "-"]);
      } else if (heardAt + this.lease <= now) {
        verdict.denied.push([lock, "-"]);
      } else if (!p || p.until <= now || (p.holder === from && !p.orphan)) {
        const until = Math.max(heardAt + this.lease + extension, p?.holder === from && !p.orphan ? p.until : -Infinity);
        this.promises.set(lock, { holder: from, until, extension });
        verdict.granted.push(lock);
      } else {
        verdict.denied.push([lock, p.holder]);
      }
    }
    return verdict;
  }

  /** A node restarted: its promises become orphans that run out, neither renewed nor released by the
   * new incarnation, since its old resources may still be active under its old guard (VIPs included:
   * the guard removes them only as the old cover runs out). The leader lock holds no resources and is
   * forgotten at once. */
  forget(holder: string): void {
    for (const [lock, p] of this.promises) {
      if (p.holder !== holder) continue;
      if (lock === LEADER_LOCK) this.promises.delete(lock);
      else p.orphan = true;
    }
  }

  /** Set once every member has told this voter, since its boot, that nothing of an earlier incarnation
   * of it is active: whoever still holds a lock it promised before the restart then claims it again and
   * is judged, so the quiet period needs no extension any more. */
  allSettled = false;

  /** Local time the quiet period after boot ends for `lock` (`claimed`: the extension a claimant names). */
  quietEnd(lock: string, claimed = 0): number {
    return this.bootAt + this.lease + (this.allSettled ? 0 : Math.max(this.extensionOf(lock), claimed));
  }

  /** Whether a heartbeat heard at `heardAt` is too old for a grant to be of use to its sender. */
  stale(heardAt: number, now: number): boolean {
    return heardAt + this.lease <= now;
  }

  /** Local time the promise on a lock runs out (-Infinity when there is none). */
  promiseEnd(lock: string): number {
    return this.promises.get(lock)?.until ?? -Infinity;
  }

  /** The current holder of a lock as promised here, if the promise is still running. */
  holder(lock: string, now: number): string | undefined {
    const p = this.promises.get(lock);
    return p && p.until > now ? p.holder : undefined;
  }
}
