// Promotions that wait on this node, and an operator's order to force one past replicas that cannot be
// heard (never past divergence: the decision itself refuses that). The order applies to the promotion
// waiting now only; a promotion that is not waiting cannot be forced in advance.

/** A promotion of the server on `datadir` that is waiting, and why. */
interface Waiting {
  reason: string;
  /** Whether forcing passes it (an unheard replica: yes; a server still accepting writes: never). */
  forceable: boolean;
  forcedBy?: string;
}

const waiting = new Map<string, Waiting>();

/** The promotion on `datadir` waits for `reason` (a "wait" decision). */
export function promotionWaits(datadir: string, reason: string, forceable: boolean): void {
  const w = waiting.get(datadir);
  if (w) Object.assign(w, { reason, forceable });
  else waiting.set(datadir, { reason, forceable });
}

/** The promotion on `datadir` ended (promoted, refused or failed). */
export function promotionEnded(datadir: string): void {
  waiting.delete(datadir);
}

/** Whether an operator forced the waiting promotion on `datadir`. */
export function promotionForced(datadir: string): boolean {
  return waiting.get(datadir)?.forcedBy !== undefined;
}

/** Forces the promotion waiting on `datadir`, if one is; the answer says what was waited for. */
export function forcePromotion(datadir: string, by: string): { ok: boolean; message: string } {
  const w = waiting.get(datadir);
  if (!w) return { ok: false, message: "no promotion is waiting here" };
  if (!w.forceable) return { ok: false, message: `the promotion waits for what force cannot pass: ${w.reason}` };
  w.forcedBy = by;
  return { ok: true, message: `forced past: ${w.reason}` };
}
