// What bench/db-failover.ts measures per trial, for vigil and for the keepalived setup alike, and the
// watch of the VIP's holders during a trial.
import { setTimeout as sleep } from "node:timers/promises";

/** The faults, by vigil's names ("vigil-kill" is keepalived-kill for the keepalived setup). "rejoin-crash":
 * the primary's mariadbd SIGKILLed, then the new primary's while the old one is still rejoining. */
export const ALL_FAULTS = [
  "crash",
  "vigil-kill",
  "link-down",
  "partition",
  "freeze",
  "switchover",
  "rejoin-crash",
] as const;
export type Fault = (typeof ALL_FAULTS)[number];
/** Faults the keepalived pair has no counterpart for (two hosts, no rejoin). */
export const VIGIL_ONLY: readonly Fault[] = ["rejoin-crash"];
/** Writers per trial. */
export const WRITERS = 4;

/** One trial's result. */
export interface Trial {
  fault: Fault;
  /** Acknowledged rows missing (vigil: on any server; keepalived: on the new primary). */
  lost: number;
  dup: number;
  gapMs: number;
  acked: number;
  /** Whether a sample (about every 200ms) saw two hosts holding the VIP at once. */
  double: boolean;
  /** How long they did (time between consecutive samples that both saw two). */
  doubleMs: number;
}

/** The p-th percentile (nearest rank). */
export const pct = (xs: number[], p: number): number =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)] ?? NaN;

/** Samples `holders()` every 200ms until stop(), which resolves with whether two or more hosts held the
 * VIP at once, for how long (ms, from consecutive samples), and every host seen holding it. */
export function watchHolders(holders: () => string[]): {
  stop: () => Promise<{ double: boolean; doubleMs: number; seen: string[] }>;
} {
  let running = true;
  let double = false;
  let doubleMs = 0;
  const seen = new Set<string>();
  const loop = (async () => {
    // A sample takes a while (a process per host): the time since the last one counts when both were double.
    let last: { at: number; double: boolean } | undefined;
    while (running) {
      const h = holders();
      const now = Date.now();
      for (const x of h) seen.add(x);
      double ||= h.length > 1;
      if (last?.double && h.length > 1) doubleMs += now - last.at;
      last = { at: now, double: h.length > 1 };
      await sleep(200);
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return { double, doubleMs, seen: [...seen] };
    },
  };
}
