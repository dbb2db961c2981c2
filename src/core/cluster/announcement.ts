// The leader's announcement (term, version, where each group runs, operator state) as one node sees it:
// the one it makes while it leads, or the newest one it has heard and follows.
import { EMPTY_ADMIN, type AdminState } from "./admin.js";
import type { LeaderAnnouncement } from "./messages.js";

/** An announcement with the node that made it. */
export type FollowedAnnouncement = LeaderAnnouncement & { from: string };

/** This node's view of the leader's announcement. */
export class Announcement {
  /** What this node announces while it leads. */
  leading: LeaderAnnouncement | undefined;
  /** What this node follows: the newest heard, or its own while leading. */
  following: FollowedAnnouncement | undefined;
  /** The node whose announcement was heard last, and when (local time). */
  lastLeader: { name: string; at: number } | undefined;

  constructor(private readonly self: string) {}

  /** Operator state in force. */
  get admin(): AdminState {
    return this.following?.admin ?? EMPTY_ADMIN;
  }

  /** A heartbeat from `from` carried `leader`: followed when it is newer than the one followed. */
  heard(from: string, leader: LeaderAnnouncement, now: number): void {
    this.lastLeader = { name: from, at: now };
    const f = this.following;
    if (!f || leader.term > f.term || (leader.term === f.term && leader.version >= f.version))
      this.following = { ...leader, from };
  }

  /** This node starts leading `term`, carrying over the assignments and operator state it followed;
   * returns how the previous leader went, for the decision's sentence. */
  lead(term: number, now: number, lease: number, alive: (node: string) => boolean): string {
    const last = this.lastLeader && this.lastLeader.name !== this.self ? this.lastLeader : undefined;
    const silent = last ? now - last.at : 0;
    this.leading = {
      term,
      version: 0,
      assignments: { ...(this.following?.assignments ?? {}) },
      admin: this.following?.admin ?? EMPTY_ADMIN,
    };
    if (!last) return "no other leader heard";
    return silent < lease && alive(last.name)
      ? `${last.name} stepped aside`
      : `${last.name} unheard for ${Math.round(silent)}ms`;
  }

  /** This node no longer leads. */
  stepDown(): void {
    this.leading = undefined;
  }

  /** While leading: follows its own announcement, heard just now. */
  refresh(now: number): void {
    if (!this.leading) return;
    this.following = { ...this.leading, from: this.self };
    this.lastLeader = { name: this.self, at: now };
  }

  /** The leader changes its assignments or operator state (a new version of the same term). */
  change(leading: LeaderAnnouncement, update: Partial<Pick<LeaderAnnouncement, "assignments" | "admin">>): void {
    this.leading = { ...leading, ...update, version: leading.version + 1 };
    this.following = { ...this.leading, from: this.self };
  }
}
