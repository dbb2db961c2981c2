// Seeded fault schedules: crashes and restarts, partitions (majority/minority, one-way, flapping),
// loss up to 50%, delay, duplication, reordering, per-node clock drift and pauses longer than the lease.
import { CALM, type LinkConditions } from "./network.js";
import type { Prng } from "./prng.js";

/** One timed change to the simulated world. */
export type Fault =
  | { at: number; kind: "crash"; node: string }
  | { at: number; kind: "restart"; node: string }
  | { at: number; kind: "pause"; node: string; duration: number }
  /** The node's clock changes its rate (drift is not constant: temperature, NTP slewing). */
  | { at: number; kind: "rate"; node: string; rate: number }
  | { at: number; kind: "cut"; from: string; to: string }
  | { at: number; kind: "heal"; from: string; to: string }
  | { at: number; kind: "conditions"; conditions: LinkConditions }
  | { at: number; kind: "calm" };

/** A whole run: clocks, faults, and when faults stop. */
export interface Schedule {
  /** Clock rate per node (1 ± drift). */
  rates: Record<string, number>;
  /** Clock offset per node: local clocks do not agree on the time at all. */
  offsets: Record<string, number>;
  faults: Fault[];
  /** Real time at which every fault is healed: crashed nodes restarted, paused ones resumed, links calm. */
  healAt: number;
  /** Real time at which the run ends. */
  endAt: number;
}

/** What a schedule may do. */
export interface ScheduleOptions {
  nodes: string[];
  /** Heartbeat interval and lease of the protocol under test, to size pauses and delays. */
  interval: number;
  lease: number;
  /** Largest clock rate error, e.g. 0.01 for ±1%. */
  maxDrift: number;
  /** Length of the faulty part of the run, real ms. */
  faultyFor: number;
  /** Length of the calm tail, real ms, for liveness. */
  calmFor: number;
}

/** Builds a schedule from the PRNG; the same PRNG state gives the same schedule. */
export function makeSchedule(prng: Prng, o: ScheduleOptions): Schedule {
  const rates: Record<string, number> = {};
  const offsets: Record<string, number> = {};
  for (const n of o.nodes) {
    rates[n] = 1 + prng.between(-o.maxDrift, o.maxDrift);
    offsets[n] = prng.int(1_000_000);
  }
  const faults: Fault[] = [];
  const episodes = 1 + prng.int(6);
  for (let i = 0; i < episodes; i++) faults.push(...episode(prng, o));
  for (const node of o.nodes) {
    const changes = prng.int(3);
    for (let i = 0; i < changes; i++)
      faults.push({
        at: prng.between(0, o.faultyFor),
        kind: "rate",
        node,
        rate: 1 + prng.between(-o.maxDrift, o.maxDrift),
      });
  }
  faults.sort((a, b) => a.at - b.at);
  return { rates, offsets, faults, healAt: o.faultyFor, endAt: o.faultyFor + o.calmFor };
}

function episode(prng: Prng, o: ScheduleOptions): Fault[] {
  const at = prng.between(0, o.faultyFor * 0.9);
  const span = prng.between(o.lease * 0.5, o.lease * 8);
  const end = Math.min(at + span, o.faultyFor);
  const node = prng.pick(o.nodes);
  switch (prng.int(8)) {
    case 0:
      return [{ at, kind: "crash", node }, ...(prng.chance(0.7) ? [{ at: end, kind: "restart" as const, node }] : [])];
    case 1:
      return [{ at, kind: "pause", node, duration: prng.between(o.lease * 0.5, o.lease * 4) }];
    case 2:
      return partition(prng, o, at, end, true);
    case 3:
      return partition(prng, o, at, end, false);
    case 4:
      return flapping(prng, o, at, end);
    case 5:
      return [
        { at, kind: "conditions", conditions: { ...CALM, loss: prng.between(0.05, 0.5) } },
        { at: end, kind: "conditions", conditions: CALM },
      ];
    case 6: {
      const delayMax = prng.between(o.interval, o.lease * 2);
      return [
        {
          at,
          kind: "conditions",
          conditions: { ...CALM, delayMin: 0.1, delayMax, reorder: 0.2, reorderMax: delayMax },
        },
        { at: end, kind: "conditions", conditions: CALM },
      ];
    }
    default:
      return [
        {
          at,
          kind: "conditions",
          conditions: {
            loss: prng.between(0, 0.3),
            duplicate: prng.between(0.1, 0.5),
            delayMin: 0.1,
            delayMax: prng.between(1, o.interval * 2),
            reorder: 0.3,
            reorderMax: o.interval * 2,
          },
        },
        { at: end, kind: "conditions", conditions: CALM },
      ];
  }
}

/** Splits the nodes in two; symmetric cuts both ways, otherwise a random one-way cut. */
function partition(prng: Prng, o: ScheduleOptions, at: number, end: number, symmetric: boolean): Fault[] {
  const shuffled = prng.shuffle(o.nodes);
  const k = 1 + prng.int(Math.max(1, o.nodes.length - 1));
  const a = shuffled.slice(0, k);
  const b = shuffled.slice(k);
  const out: Fault[] = [];
  for (const x of a) {
    for (const y of b) {
      if (symmetric || prng.chance(0.5))
        out.push({ at, kind: "cut", from: x, to: y }, { at: end, kind: "heal", from: x, to: y });
      if (symmetric || prng.chance(0.5))
        out.push({ at, kind: "cut", from: y, to: x }, { at: end, kind: "heal", from: y, to: x });
    }
  }
  return out;
}

/** One node's links go down and up repeatedly. */
function flapping(prng: Prng, o: ScheduleOptions, at: number, end: number): Fault[] {
  const node = prng.pick(o.nodes);
  const out: Fault[] = [];
  let t = at;
  let down = true;
  while (t < end) {
    for (const other of o.nodes) {
      if (other === node) continue;
      out.push(
        { at: t, kind: down ? "cut" : "heal", from: node, to: other },
        { at: t, kind: down ? "cut" : "heal", from: other, to: node },
      );
    }
    down = !down;
    t += prng.between(o.interval, o.lease * 2);
  }
  for (const other of o.nodes) {
    if (other !== node)
      out.push({ at: end, kind: "heal", from: node, to: other }, { at: end, kind: "heal", from: other, to: node });
  }
  return out;
}

/** A one-line description of a fault for traces. */
export function describeFault(f: Fault): string {
  switch (f.kind) {
    case "crash":
      return `crash ${f.node}`;
    case "restart":
      return `restart ${f.node}`;
    case "pause":
      return `pause ${f.node} for ${f.duration.toFixed(1)}ms`;
    case "rate":
      return `${f.node}'s clock now runs at rate ${f.rate.toFixed(5)}`;
    case "cut":
      return `cut ${f.from}→${f.to}`;
    case "heal":
      return `heal ${f.from}→${f.to}`;
    case "calm":
      return "calm: all links healed, loss 0, all nodes up and none paused";
    case "conditions": {
      const c = f.conditions;
      return `links: loss ${(c.loss * 100).toFixed(0)}%, dup ${(c.duplicate * 100).toFixed(0)}%, delay ${c.delayMin.toFixed(1)}–${c.delayMax.toFixed(1)}ms, reorder ${(c.reorder * 100).toFixed(0)}%`;
    }
  }
}
