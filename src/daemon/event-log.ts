// The recent-decisions log behind GET /events: the newest decisions and resource events of this node.
import type { EventEntry } from "../api/server.js";

/** How many recent entries the log keeps by default. */
export const RECENT_EVENTS = 500;

/** A bounded log of recent decisions, oldest dropped first. */
export class EventLog {
  private entries: EventEntry[] = [];

  constructor(
    private node: string,
    private capacity = RECENT_EVENTS,
  ) {}

  /** Appends one line decided at `at` (wall-clock ms). */
  add(at: number, text: string): void {
    this.entries.push({ at, node: this.node, text });
    if (this.entries.length > this.capacity) this.entries.shift();
  }

  /** A copy of the entries, oldest first. */
  list(): EventEntry[] {
    return [...this.entries];
  }
}
