// Runs this node's track probes (every interface, ping and exec check of every group, each distinct
// check once) in loops of their own, folds the results with rise/fall, and tells the cluster core each
// change of verdict as a `track` event; each change is logged once. `group` checks need no loop: the
// core judges them from the clone's state.
import type { Logger } from "../adapters/logger.js";
import { probe, type ProbeOutcome } from "../adapters/track-probes.js";
import { applyCheck, initialHealth, type HealthState } from "../core/balancer/health.js";
import type { ClusterEvent } from "../core/cluster/node.js";
import { describeTrack, trackKey, type TrackCheck } from "../core/cluster/track.js";
import type { Config } from "../core/config/schema.js";

type Probe = Exclude<TrackCheck, { type: "group" }>;

/** The latest verdict of one probe, for status and metrics. */
export interface ProbeStatus {
  check: string;
  passing: boolean | undefined;
  detail: string;
  lastCheckMs: number | undefined;
}

interface Loop {
  check: Probe;
  state: HealthState;
  stopped: boolean;
  timer: NodeJS.Timeout | undefined;
  detail: string;
  lastMs: number | undefined;
}

/** The distinct probes of a config's track checks (none on a witness, which runs no groups). */
export function probesOf(config: Config, node: string): Map<string, Probe> {
  const out = new Map<string, Probe>();
  if (config.nodes.find((n) => n.name === node)?.witness) return out;
  for (const g of config.groups)
    for (const c of g.track) if (c.type !== "group" && !out.has(trackKey(c))) out.set(trackKey(c), c);
  return out;
}

/** This node's probe loops. */
export class TrackRunner {
  private loops = new Map<string, Loop>();

  constructor(
    private report: (e: ClusterEvent) => void,
    private log: Logger,
    private run: (c: Probe) => Promise<ProbeOutcome> = probe,
  ) {}

  /** Starts the loops of new probes and stops those no longer configured; unchanged ones run on. */
  configure(probes: Map<string, Probe>): void {
    for (const [key, loop] of this.loops) {
      if (probes.has(key)) continue;
      loop.stopped = true;
      if (loop.timer) clearTimeout(loop.timer);
      this.loops.delete(key);
    }
    // First checks are spread over a short while so a node with many checks does not fire them at once.
    let i = 0;
    for (const [key, check] of probes) {
      if (this.loops.has(key)) continue;
      const loop: Loop = {
        check,
        state: initialHealth(),
        stopped: false,
        timer: undefined,
        detail: "no result yet",
        lastMs: undefined,
      };
      this.loops.set(key, loop);
      loop.timer = setTimeout(() => void this.tick(key, loop), Math.min(i++ * 20, 200));
    }
  }

  private async tick(key: string, loop: Loop): Promise<void> {
    const started = performance.now();
    const result = await this.run(loop.check);
    if (loop.stopped) return;
    loop.lastMs = performance.now() - started;
    loop.detail = result.detail;
    const first = !loop.state.checked;
    const what = `track ${describeTrack(loop.check)}`;
    const { state, transition } = applyCheck(loop.state, result, loop.check, what);
    loop.state = state;
    if (first || transition) {
      const inARow = first ? 1 : state.up ? loop.check.rise : loop.check.fall;
      if (transition || !state.up)
        this.log[state.up ? "info" : "warn"]({ track: key, passing: state.up }, transition?.reason ?? what);
      else this.log.info({ track: key, passing: true }, `${what} passes: ${result.detail} (first check)`);
      this.report({ kind: "track", key, passing: state.up, inARow });
    }
    const wait = Math.max(0, loop.check.interval - (performance.now() - started));
    loop.timer = setTimeout(() => void this.tick(key, loop), wait);
  }

  /** Every probe's latest verdict. */
  status(): ProbeStatus[] {
    return [...this.loops.values()].map((l) => ({
      check: describeTrack(l.check),
      passing: l.state.checked ? l.state.up : undefined,
      detail: l.detail,
      lastCheckMs: l.lastMs,
    }));
  }

  /** Stops every loop. */
  close(): void {
    this.configure(new Map());
  }
}
