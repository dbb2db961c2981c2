// The lines between the daemon and its guard process: JSON, one per line. On the guard's stdin, its
// config (at spawn and after every reload) and, every heartbeat, how long each group that may be active
// here is still covered by its lease; on its stdout, each group it stopped by itself.
import type { ResourceConfig } from "../core/config/schema.js";
import type { LastResort } from "./stop-escalation.js";

/** What the guard needs to stop this node's groups by itself. */
export interface GuardConfig {
  /** "CLUSTER/NODE": with "GROUP-INDEX" it makes the tag of each resource's processes. */
  owner: string;
  /** How long the daemon may be silent before the guard takes the stop of a lapsed group over, ms. */
  silenceMs: number;
  /** `cluster.last_resort`, or null. */
  lastResort: LastResort | null;
  /** Each group's resources, in the config's order. */
  groups: Record<string, ResourceConfig[]>;
}

/** Daemon → guard. `cover`: every group whose resources may be active here, with how many ms its lease
 * still covers it, counted from `at` (CLOCK_MONOTONIC ms when it was sent, see monotonicMs; without it,
 * from when the guard reads the line); a group left out has stopped cleanly. Counting from the send
 * time keeps a guard that reads late (just spawned, descheduled) from covering a group for too long. */
export type ToGuard = ({ t: "config" } & GuardConfig) | { t: "cover"; groups: Record<string, number>; at?: number };

/** Guard → daemon: the guard stopped a group by itself; ok when every resource is gone. */
export interface StoppedLine {
  t: "stopped";
  group: string;
  ok: boolean;
}

/** Guard → daemon: the guard removed a group's VIPs because their cover ran out while the daemon was
 * still heard (it was late to renew, not silent); the daemon must not believe they are still up. */
export interface VipsRemovedLine {
  t: "vips-removed";
  group: string;
}

/** Guard → daemon: the guard reads its stdin from now on. */
export interface ReadyLine {
  t: "ready";
}

/** The system's monotonic clock in ms (CLOCK_MONOTONIC: the same in every process of the host, unlike
 * performance.now()). */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** The line format of the guard before groups: the VIPs of the groups running here and how long the
 * shortest lease covers them. Still understood, so a daemon that speaks it keeps its VIPs guarded. */
export interface LegacyLine {
  holdMs: number;
  vips: [string, string][];
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Parses one line to the guard; a string saying what is wrong when it is not one. */
export function parseToGuard(line: string): ToGuard | LegacyLine | string {
  let m: unknown;
  try {
    m = JSON.parse(line);
  } catch {
    return "not JSON";
  }
  if (!isRecord(m)) return "not a JSON object";
  if (m.t === "cover") {
    const groups = m.groups;
    if (!isRecord(groups) || !Object.values(groups).every((v) => typeof v === "number" && Number.isFinite(v)))
      return "cover: groups must map names to ms";
    if (m.at !== undefined && (typeof m.at !== "number" || !Number.isFinite(m.at))) return "cover: at must be a number";
    return { t: "cover", groups: groups as Record<string, number>, at: m.at };
  }
  if (m.t === "config") {
    const lr = m.lastResort;
    if (typeof m.owner !== "string" || typeof m.silenceMs !== "number" || !isRecord(m.groups))
      return "config: needs owner, silenceMs and groups";
    if (!Object.values(m.groups).every(Array.isArray)) return "config: each group must be a list of resources";
    if (
      lr !== null &&
      !(isRecord(lr) && typeof lr.path === "string" && Array.isArray(lr.args) && typeof lr.timeout === "number")
    )
      return "config: lastResort must be null or {path, args, timeout}";
    return m as unknown as ToGuard;
  }
  if (typeof m.holdMs === "number" && Array.isArray(m.vips)) return m as unknown as LegacyLine;
  return `unknown line type ${JSON.stringify(m.t)}`;
}
