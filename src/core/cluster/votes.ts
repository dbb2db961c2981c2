// The voter's side of every lease: a promise per lock to at most one holder at a time, kept until the
// holder releases it or the promise runs out. This table is what makes two holders impossible.

/** A promise: `holder` may hold `lock` until local time `until` as far as this voter is concerned. */
export interface Promise_ {
  holder: string;
  until: number;
}

/** A voter's answer to one set of claims. */
export interface Verdict {
  granted: string[];
  denied: [string, string][];
}

/** The promise table of one voter. */
export class VoteTable {
  private promises = new Map<string, Promise_>();

  /** `quietUntil`: after a restart a voter grants nothing until promises it may have forgotten ran out. */
  constructor(private lease: number, private quietUntil: number) {}

  /** Judges a node's current claims; locks it held here but no longer claims are released, except
   * `unclean` ones (a failed stop): their promise is neither renewed nor released, it runs out. */
  judge(now: number, from: string, claims: readonly string[], unclean: readonly string[] = []): Verdict {
    for (const [lock, p] of this.promises) if (p.holder === from && !claims.includes(lock) && !unclean.includes(lock)) this.promises.delete(lock);
    const verdict: Verdict = { granted: [], denied: [] };
    for (const lock of claims) {
      const p = this.promises.get(lock);
      if (now < this.quietUntil) {
        verdict.denied.push([lock, p?.holder ?? "-"]);
      } else if (!p || p.until <= now || p.holder === from) {
        this.promises.set(lock, { holder: from, until: now + this.lease });
        verdict.granted.push(lock);
      } else {
        verdict.denied.push([lock, p.holder]);
      }
    }
    return verdict;
  }

  /** Forgets every promise to a node that restarted (its new incarnation holds nothing yet). */
  forget(holder: string): void {
    for (const [lock, p] of this.promises) if (p.holder === holder) this.promises.delete(lock);
  }

  /** Local time the quiet period after boot ends. */
  get quietEnd(): number {
    return this.quietUntil;
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
