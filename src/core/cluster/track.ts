// Track checks as the core sees them: each node folds its own check results (and the health of the
// clones it runs) into one verdict per group, sends the failing ones with its heartbeat, and the leader
// turns a peer's verdict back into a sentence. A verdict names the first failing check of the group (its
// index in the group's `track:` list) and how many results in a row made it fail (0: no result yet).
import type { TrackCheckConfig } from "../config/track-schema.js";

/** One track check of a group. `group` checks are judged from the clone's state here; the others are
 * probes the daemon runs (interface, ping, exec), identified by `trackKey`. */
export type TrackCheck = TrackCheckConfig;

/** The latest rise/fall result of one probe on this node. */
export interface ProbeResult {
  passing: boolean;
  /** Results in a row that decided it (the check's fall or rise, 1 for a first result). */
  inARow: number;
}

/** Why a group may not run on a node: its first failing check and the results in a row (0: none yet). */
export interface TrackVerdict {
  check: number;
  inARow: number;
}

/** The wire form of a verdict: one counter (check index × 65536 + results in a row, capped). */
export function packVerdict(v: TrackVerdict): number {
  return v.check * 65536 + Math.min(v.inARow, 65535);
}

/** A verdict from its wire form. */
export function unpackVerdict(code: number): TrackVerdict {
  return { check: Math.floor(code / 65536), inARow: code % 65536 };
}

/** The identity of a probe: two groups with the same check share one probe loop and one result. */
export function trackKey(c: TrackCheck): string {
  switch (c.type) {
    case "group":
      return `group ${c.name}`;
    case "interface":
      return `interface ${c.name} ${c.interval} ${c.rise}/${c.fall}`;
    case "ping":
      return `ping ${c.address} ${c.interval} ${c.timeout} ${c.rise}/${c.fall}`;
    case "exec":
      return `exec ${JSON.stringify([c.path, ...c.args])} ${c.interval} ${c.timeout} ${c.rise}/${c.fall}`;
  }
}

/** A check as a user names it: `ping 10.77.0.1`, `interface eth1`, `exec /usr/local/bin/check`, `group proxies`. */
export function describeTrack(c: TrackCheck): string {
  switch (c.type) {
    case "group":
    case "interface":
      return `${c.type} ${c.name}`;
    case "ping":
      return `ping ${c.address}`;
    case "exec":
      return `exec ${[c.path, ...c.args].join(" ")}`;
  }
}

/** The first failing check of `track` on this node, or undefined when every check passes.
 * `cloneRunning(name)`: whether the clone runs (started, not failed or stopping) here. */
export function ownVerdict(
  track: readonly TrackCheck[],
  results: ReadonlyMap<string, ProbeResult>,
  cloneRunning: (name: string) => boolean,
): TrackVerdict | undefined {
  for (const [check, c] of track.entries()) {
    if (c.type === "group") {
      if (!cloneRunning(c.name)) return { check, inARow: 1 };
      continue;
    }
    const r = results.get(trackKey(c));
    if (!r) return { check, inARow: 0 };
    if (!r.passing) return { check, inARow: r.inARow };
  }
  return undefined;
}

/** The sentence part after the node's name: `fails track ping 10.77.0.1 (3 checks in a row)`. */
export function verdictReason(track: readonly TrackCheck[] | undefined, v: TrackVerdict): string {
  const c = track?.[v.check];
  if (!c) return `fails track check ${v.check + 1} of its config`;
  const what = `fails track ${describeTrack(c)}`;
  if (c.type === "group") return `${what} (the clone is not running there)`;
  if (v.inARow === 0) return `${what} (no result yet)`;
  return `${what} (${v.inARow === 1 ? "1 check" : `${v.inARow} checks in a row`})`;
}
