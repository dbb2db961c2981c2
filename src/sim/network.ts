// The simulated network: per-run link conditions (loss, delay, duplication, reordering) and one-way
// cuts between nodes. It decides, with the world's PRNG, when (if ever) each copy of a message arrives.
import type { Prng } from "./prng.js";

/** Conditions applied to every link that is not cut. Delays are in real milliseconds. */
export interface LinkConditions {
  /** Probability that a message is lost. */
  loss: number;
  /** Probability that a delivered message arrives twice. */
  duplicate: number;
  delayMin: number;
  delayMax: number;
  /** Probability that a message is held back by up to `reorderMax` extra, overtaking later ones. */
  reorder: number;
  reorderMax: number;
}

/** A quiet LAN: no loss, sub-millisecond delay. */
export const CALM: LinkConditions = { loss: 0, duplicate: 0, delayMin: 0.1, delayMax: 0.5, reorder: 0, reorderMax: 0 };

/** Links between named nodes; a cut from A to B drops A's messages to B only. */
export class Network {
  conditions: LinkConditions = CALM;
  private cuts = new Set<string>();

  cut(from: string, to: string): void {
    this.cuts.add(`${from}>${to}`);
  }

  heal(from: string, to: string): void {
    this.cuts.delete(`${from}>${to}`);
  }

  healAll(): void {
    this.cuts.clear();
  }

  isCut(from: string, to: string): boolean {
    return this.cuts.has(`${from}>${to}`);
  }

  /** Delays after which copies of a message arrive: [] when dropped, two entries when duplicated. */
  route(from: string, to: string, prng: Prng): number[] {
    if (this.isCut(from, to)) return [];
    const c = this.conditions;
    if (c.loss > 0 && prng.chance(c.loss)) return [];
    const one = (): number => {
      let d = prng.between(c.delayMin, c.delayMax);
      if (c.reorder > 0 && prng.chance(c.reorder)) d += prng.between(0, c.reorderMax);
      return d;
    };
    const delays = [one()];
    if (c.duplicate > 0 && prng.chance(c.duplicate)) delays.push(one());
    return delays;
  }

  describeCuts(): string {
    return this.cuts.size === 0 ? "none" : [...this.cuts].sort().join(" ");
  }
}
