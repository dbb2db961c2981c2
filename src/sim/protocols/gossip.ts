// A small test protocol for the simulator itself: every node counts up and gossips the highest count it
// knows of each node. Safety: nobody ever knows a count its origin never reached (no phantom, corrupted
// or misattributed messages). Liveness: after faults stop, every node catches up with every other.
import { noOutput, type Machine, type MachineInput, type StepOutput } from "../../core/machine.js";
import type { Invariant, Observation } from "../invariants.js";
import type { SimProtocol } from "../world.js";

/** A gossip message: the sender's knowledge, origin → highest count. */
export interface GossipMsg {
  known: Record<string, number>;
}

/** What the checkers see of a node. */
export interface GossipView {
  own: number;
  known: Record<string, number>;
}

const INTERVAL = 25;

class GossipNode implements Machine<GossipMsg, never, never, GossipView> {
  private known: Record<string, number> = {};
  private nextSend: number;

  constructor(
    readonly id: string,
    private peers: string[],
    private base: number,
    now: number,
  ) {
    this.nextSend = now;
    this.known[id] = base;
  }

  step(now: number, input: MachineInput<GossipMsg, never>): StepOutput<GossipMsg, never> {
    const out = noOutput<GossipMsg, never>();
    if (input.kind === "message") {
      for (const [origin, count] of Object.entries(input.msg.known)) {
        if (origin !== this.id && count > (this.known[origin] ?? -1)) {
          if (this.known[origin] === undefined)
            out.decisions.push(`${this.id} first hears of ${origin} (count ${count}) via ${input.from}`);
          this.known[origin] = count;
        }
      }
    }
    if (now >= this.nextSend) {
      this.known[this.id] = (this.known[this.id] ?? 0) + 1;
      for (const p of this.peers) out.sends.push({ to: p, msg: { known: { ...this.known } } });
      this.nextSend = now + INTERVAL;
    }
    out.wakeAt = this.nextSend;
    return out;
  }

  observe(): GossipView {
    return { own: this.known[this.id] ?? 0, known: this.known };
  }
}

/** The counts each node has reached so far across incarnations, kept by the checker (ground truth). */
function gossipInvariants(): Invariant<GossipView>[] {
  const reached: Record<string, number> = {};
  return [
    {
      name: "no phantom counts",
      safety(obs: Observation<GossipView>) {
        for (const n of obs.nodes) if (n.view) reached[n.id] = Math.max(reached[n.id] ?? 0, n.view.own);
        for (const n of obs.nodes) {
          for (const [origin, count] of Object.entries(n.view?.known ?? {})) {
            if (count > (reached[origin] ?? 0))
              return `${n.id} believes ${origin} reached ${count}, but it only reached ${reached[origin] ?? 0}`;
          }
        }
        return undefined;
      },
      liveness(obs: Observation<GossipView>) {
        const up = obs.nodes.filter((n) => n.up && n.view);
        for (const a of up) {
          for (const b of up) {
            const seen = a.view?.known[b.id] ?? -1;
            if (a.id !== b.id && seen < (b.view?.own ?? 0) - 4)
              return `${a.id} knows ${b.id} at ${seen}, it is at ${b.view?.own}`;
          }
        }
        return undefined;
      },
    },
  ];
}

/** The gossip protocol on `count` nodes. Counts restart above the previous incarnation's (boot base). */
export function gossipProtocol(count = 3): SimProtocol<GossipMsg, never, never, GossipView> {
  const nodes = Array.from({ length: count }, (_, i) => `n${i + 1}`);
  return {
    name: "gossip test protocol",
    nodes,
    interval: INTERVAL,
    lease: 150,
    maxDrift: 0.01,
    faultyFor: 3000,
    calmFor: 1000,
    livenessBound: 500,
    maxEvents: 200_000,
    create: (id, incarnation, now) =>
      new GossipNode(
        id,
        nodes.filter((n) => n !== id),
        incarnation * 1_000_000,
        now,
      ),
    invariants: gossipInvariants,
    describeMessage: (m) =>
      `gossip ${Object.entries(m.known)
        .map(([k, v]) => `${k}=${v}`)
        .join(" ")}`,
  };
}
