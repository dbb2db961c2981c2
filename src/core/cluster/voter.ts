// A voting member's answers to the claims it hears: each heartbeat's claims are judged at once, and a
// refused claim is judged again as soon as the promise that blocked it runs out, as long as the
// heartbeat that carried it is less than a lease old (a grant anchored there is of no use later).
import type { Heartbeat } from "./messages.js";
import type { Verdict, VoteTable } from "./votes.js";

/** An ack to send: the verdict on heartbeat `ackSeq` of incarnation `ackInc` from node `to`. */
export interface AckDue extends Verdict {
  to: string;
  ackInc: number;
  ackSeq: number;
}

/** Judges peers' claims against one promise table and remembers the refused ones. */
export class Voter {
  private refused = new Map<
    string,
    { seq: number; inc: number; claims: string[]; budgets: Record<string, number>; heardAt: number }
  >();

  constructor(private readonly votes: VoteTable) {}

  /** Judges the claims in a peer's heartbeat; the ack to send when it claims anything. */
  judge(
    now: number,
    hb: Pick<Heartbeat, "from" | "seq" | "inc" | "claims" | "unclean" | "budgets">,
  ): AckDue | undefined {
    const budgets = hb.budgets ?? {};
    const verdict = this.votes.judge(now, hb.from, hb.claims, hb.unclean, budgets);
    if (verdict.denied.length > 0)
      this.refused.set(hb.from, { seq: hb.seq, inc: hb.inc, claims: hb.claims, budgets, heardAt: now });
    else this.refused.delete(hb.from);
    return hb.claims.length > 0 ? { to: hb.from, ackInc: hb.inc, ackSeq: hb.seq, ...verdict } : undefined;
  }

  /** Refused claims judged again now that a blocking promise may have run out; the acks that grant something. */
  rejudge(now: number): AckDue[] {
    const acks: AckDue[] = [];
    for (const [from, p] of this.refused) {
      if (this.votes.stale(p.heardAt, now)) {
        this.refused.delete(from);
        continue;
      }
      if (!p.claims.some((l) => this.votes.holder(l, now) === undefined && now >= this.votes.quietEnd(l, p.budgets[l])))
        continue;
      const verdict = this.votes.judge(now, from, p.claims, [], p.budgets, p.heardAt);
      if (verdict.denied.length === 0) this.refused.delete(from);
      if (verdict.granted.length > 0) acks.push({ to: from, ackInc: p.inc, ackSeq: p.seq, ...verdict });
    }
    return acks;
  }

  /** Local times at which a refused claim can next be judged again. */
  wakeTimes(): number[] {
    return [...this.refused.values()].flatMap((p) =>
      p.claims
        .map((l) => Math.max(this.votes.promiseEnd(l), this.votes.quietEnd(l, p.budgets[l])))
        .filter((t) => !this.votes.stale(p.heardAt, t)),
    );
  }
}
