// At most a few group starts at once on one node, as Pacemaker's node-action-limit, and one start handed
// out per turn of the event loop: a node taking over hundreds of groups must not spawn hundreds of
// processes in one turn of the main thread (each spawn blocks it until the child has exec'd, which on a
// loaded machine takes long), or the cluster worker's watchdog finds the main thread silent. Stops never
// wait for a slot; a stop that arrives for a group whose start is still waiting takes that start back, so
// that it is not delayed behind it.

/** Starts running at once per node. */
export const START_SLOTS = 8;

/** A counting semaphore for starts, whose waiters can be taken back by group. */
export class StartSlots {
  private busy = 0;
  private waiting: { group: string; resolve: (got: boolean) => void }[] = [];
  private pumping = false;

  constructor(
    private readonly limit = START_SLOTS,
    /** Runs `f` on a later turn of the event loop. */
    private readonly later: (f: () => void) => void = (f) => void setImmediate(f),
  ) {}

  /** Resolves true once the start may run; false when it was taken back (a stop of the group came). */
  acquire(group: string): Promise<boolean> {
    return new Promise((resolve) => {
      this.waiting.push({ group, resolve });
      this.pump();
    });
  }

  /** Gives a slot back (after a start that acquired one ended). */
  release(): void {
    this.busy--;
    this.pump();
  }

  /** Takes back the waiting starts of `group`; true when there was one. */
  cancel(group: string): boolean {
    const mine = this.waiting.filter((w) => w.group === group);
    if (mine.length === 0) return false;
    this.waiting = this.waiting.filter((w) => w.group !== group);
    for (const w of mine) w.resolve(false);
    return true;
  }

  /** Starts waiting for a slot. */
  get queued(): number {
    return this.waiting.length;
  }

  /** Hands out one free slot per turn of the event loop. */
  private pump(): void {
    if (this.pumping || this.busy >= this.limit || this.waiting.length === 0) return;
    this.pumping = true;
    this.later(() => {
      this.pumping = false;
      const next = this.waiting.shift();
      if (next && this.busy < this.limit) {
        this.busy++;
        next.resolve(true);
      } else if (next) this.waiting.unshift(next);
      this.pump();
    });
  }
}
