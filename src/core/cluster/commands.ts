// Operator commands on their way to the leader: a node keeps each command it received until the leader
// answered it (re-sending every interval, so a lost packet or a leader change only delays it) or it
// timed out. The leader applies each (sender, incarnation, id) once.
import type { Command } from "./admin.js";

/** A command waiting for the leader's answer. */
interface Pending {
  cmd: Command;
  since: number;
  sentAt: number;
}

/** The answer to a command, for whoever submitted it (the API). */
export interface CommandResult {
  id: number;
  ok: boolean;
  message: string;
}

/** Outstanding commands of one node, and the ids the leader has already applied. */
export class CommandDesk {
  private pending = new Map<number, Pending>();
  private applied = new Map<string, CommandResult>();

  constructor(
    private timeoutMs: number,
    private resendMs: number,
  ) {}

  submit(id: number, cmd: Command, now: number): void {
    this.pending.set(id, { cmd, since: now, sentAt: -Infinity });
  }

  /** Commands to (re)send to the leader now. */
  due(now: number): { id: number; cmd: Command }[] {
    const out: { id: number; cmd: Command }[] = [];
    for (const [id, p] of this.pending) {
      if (now - p.sentAt < this.resendMs) continue;
      p.sentAt = now;
      out.push({ id, cmd: p.cmd });
    }
    return out;
  }

  /** Every pending command, for a node that leads and applies them itself. */
  takeAll(): { id: number; cmd: Command }[] {
    const out = [...this.pending].map(([id, p]) => ({ id, cmd: p.cmd }));
    this.pending.clear();
    return out;
  }

  /** The leader answered; returns the result once (undefined for unknown or repeated answers). */
  answered(id: number, ok: boolean, message: string): CommandResult | undefined {
    if (!this.pending.delete(id)) return undefined;
    return { id, ok, message };
  }

  /** Commands that waited too long, answered with an error. */
  expired(now: number): CommandResult[] {
    const out: CommandResult[] = [];
    for (const [id, p] of this.pending) {
      if (now - p.since < this.timeoutMs) continue;
      this.pending.delete(id);
      out.push({
        id,
        ok: false,
        message: `no leader answered within ${this.timeoutMs}ms; the cluster may have no quorum`,
      });
    }
    return out;
  }

  /** Leader side: the result of a forwarded command already applied, so a re-send is not applied twice. */
  seen(key: string): CommandResult | undefined {
    return this.applied.get(key);
  }

  remember(key: string, r: CommandResult): void {
    this.applied.set(key, r);
    if (this.applied.size > 1000) this.applied.delete(this.applied.keys().next().value as string);
  }

  /** When the next re-send or time-out is due. */
  nextDue(): number {
    let next = Infinity;
    for (const p of this.pending.values()) next = Math.min(next, p.sentAt + this.resendMs, p.since + this.timeoutMs);
    return next;
  }
}
