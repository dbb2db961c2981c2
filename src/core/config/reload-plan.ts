// What a reload of the config file would change, decided from the running config and the new one:
// keys that only a restart can apply (the reload is then refused as a whole), and per group what
// changed, so that only that is touched. Pure: two configs in, a plan out.
import type { Config } from "./schema.js";
import type { KeyPath } from "./issues.js";

/** A change a running daemon cannot take; `path` locates it in the new file. */
export interface RestartNeeded {
  code: "E_RELOAD_NEEDS_RESTART";
  path: KeyPath;
  message: string;
}

/** What changed in one group. Resources are compared without their `monitor` settings: a resource
 * whose only change is its monitor keeps running and takes the new monitor. */
export interface GroupChange {
  name: string;
  kind: "added" | "removed" | "changed";
  /** Index of the group in the new config (-1 when removed). */
  index: number;
  /** Placement and notify keys that changed (prefer, failback, migration_threshold, failure_timeout, notify, clone, track). */
  keys: string[];
  /** The first `keep` resources are the same in both lists and keep running. */
  keep: number;
  /** Resource counts before and after. */
  before: number;
  after: number;
  /** Indexes below `keep` whose monitor settings changed. */
  monitors: number[];
}

/** Everything a reload would do. */
export interface ReloadPlan {
  /** Non-empty: the reload must be refused as a whole. */
  restartNeeded: RestartNeeded[];
  /** Groups that were added, removed or changed, in config order (removed ones last). */
  groups: GroupChange[];
  /** Whether the `virtual_servers` section changed. */
  virtualServers: boolean;
}

/** Deep equality of parsed config values; object key order does not matter, absent equals undefined. */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => sameValue(x, b[i]));
  }
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  const keys = new Set([...Object.keys(ra), ...Object.keys(rb)]);
  return [...keys].every((k) => sameValue(ra[k], rb[k]));
}

const MS_KEYS = new Set(["interval", "lease", "timeout"]);

function show(path: KeyPath, v: unknown): string {
  if (v === undefined) return "unset";
  if (typeof v === "number" && MS_KEYS.has(String(path[path.length - 1]))) return `${v}ms`;
  return JSON.stringify(v);
}

const RESTART = "cannot be applied by a reload: restart vigil on every node to apply it (the running config is kept)";

/** Keys of `cluster`, the node list, `api.listen` and `api.group`: fixed for the life of a daemon. */
function restartOnly(current: Config, next: Config): RestartNeeded[] {
  const out: RestartNeeded[] = [];
  const changed = (path: KeyPath, a: unknown, b: unknown) => {
    if (!sameValue(a, b))
      out.push({ code: "E_RELOAD_NEEDS_RESTART", path, message: `changed (was ${show(path, a)}); ${RESTART}` });
  };
  const c = current.cluster as Record<string, unknown>;
  const n = next.cluster as Record<string, unknown>;
  for (const key of new Set([...Object.keys(c), ...Object.keys(n)])) {
    if (key === "heartbeat") {
      changed(
        ["cluster", "heartbeat", "interval"],
        current.cluster.heartbeat.interval,
        next.cluster.heartbeat.interval,
      );
      changed(["cluster", "heartbeat", "lease"], current.cluster.heartbeat.lease, next.cluster.heartbeat.lease);
    } else changed(["cluster", key], c[key], n[key]);
  }
  const names = (cfg: Config) => cfg.nodes.map((x) => x.name);
  if (!sameValue(names(current), names(next))) {
    const added = names(next).filter((x) => !names(current).includes(x));
    const removed = names(current).filter((x) => !names(next).includes(x));
    const what =
      [added.length ? `added ${added.join(", ")}` : "", removed.length ? `removed ${removed.join(", ")}` : ""]
        .filter(Boolean)
        .join("; ") || "reordered";
    out.push({
      code: "E_RELOAD_NEEDS_RESTART",
      path: ["nodes"],
      message: `the node list changed (${what}); ${RESTART}`,
    });
  } else {
    next.nodes.forEach((node, i) => {
      const old = current.nodes[i] as Record<string, unknown>;
      const now = node as Record<string, unknown>;
      for (const key of new Set([...Object.keys(old), ...Object.keys(now)]))
        changed(["nodes", i, key], old[key], now[key]);
    });
  }
  changed(["api", "listen"], current.api.listen, next.api.listen);
  changed(["api", "group"], current.api.group, next.api.group);
  return out;
}

type ResourceConfig = Config["groups"][number]["resources"][number];

function withoutMonitor(r: ResourceConfig): unknown {
  const { monitor: _monitor, ...rest } = r as ResourceConfig & { monitor?: unknown };
  return rest;
}

const GROUP_KEYS = [
  "prefer",
  "failback",
  "migration_threshold",
  "failure_timeout",
  "notify",
  "clone",
  "track",
] as const;

function groupChange(a: Config["groups"][number], b: Config["groups"][number], index: number): GroupChange | undefined {
  const keys = GROUP_KEYS.filter((k) => !sameValue(a[k], b[k]));
  let keep = 0;
  while (
    keep < a.resources.length &&
    keep < b.resources.length &&
    sameValue(withoutMonitor(a.resources[keep] as ResourceConfig), withoutMonitor(b.resources[keep] as ResourceConfig))
  )
    keep++;
  const monitors: number[] = [];
  for (let i = 0; i < keep; i++) if (!sameValue(a.resources[i], b.resources[i])) monitors.push(i);
  const resourcesSame = keep === a.resources.length && keep === b.resources.length;
  if (keys.length === 0 && resourcesSame && monitors.length === 0) return undefined;
  return {
    name: b.name,
    kind: "changed",
    index,
    keys: [...keys],
    keep,
    before: a.resources.length,
    after: b.resources.length,
    monitors,
  };
}

/** Compares the running config with a new one. */
export function planReload(current: Config, next: Config): ReloadPlan {
  const groups: GroupChange[] = [];
  next.groups.forEach((g, index) => {
    const old = current.groups.find((x) => x.name === g.name);
    if (!old)
      groups.push({
        name: g.name,
        kind: "added",
        index,
        keys: [],
        keep: 0,
        before: 0,
        after: g.resources.length,
        monitors: [],
      });
    else {
      const change = groupChange(old, g, index);
      if (change) groups.push(change);
    }
  });
  for (const old of current.groups) {
    if (!next.groups.some((g) => g.name === old.name))
      groups.push({
        name: old.name,
        kind: "removed",
        index: -1,
        keys: [],
        keep: 0,
        before: old.resources.length,
        after: 0,
        monitors: [],
      });
  }
  return {
    restartNeeded: restartOnly(current, next),
    groups,
    virtualServers: !sameValue(current.virtual_servers, next.virtual_servers),
  };
}

/** Whether a change touches the group's resources (rather than only placement keys or monitors). */
export function resourcesChanged(c: GroupChange): boolean {
  return c.kind !== "changed" || c.keep < c.before || c.keep < c.after;
}

function range(from: number, to: number): string {
  return from === to ? `resource ${from}` : `resources ${from}-${to}`;
}

/** One phrase for the reload summary, e.g. "group db: resources 3-4 restarted". Resources are numbered
 * from 1 as in the file. `runningHere`: whether the group's resources were up on this node. */
export function describeGroupChange(c: GroupChange, runningHere: boolean): string {
  if (c.kind === "added") return `group ${c.name} added`;
  if (c.kind === "removed") return `group ${c.name} removed${runningHere ? " (stopping here)" : ""}`;
  const parts: string[] = [];
  if (c.keys.length > 0) parts.push(`${c.keys.join(", ")} changed`);
  const oldTail = c.before > c.keep ? [c.keep + 1, c.before] : undefined;
  const newTail = c.after > c.keep ? [c.keep + 1, c.after] : undefined;
  const verb = (done: string) => (runningHere ? done : "replaced (not running here)");
  if (oldTail && newTail && c.before === c.after)
    parts.push(`${range(c.keep + 1, c.after)} ${runningHere ? "restarted" : "replaced (not running here)"}`);
  else {
    if (oldTail) parts.push(`old ${range(oldTail[0] as number, oldTail[1] as number)} ${verb("stopped")}`);
    if (newTail) parts.push(`new ${range(newTail[0] as number, newTail[1] as number)} ${verb("started")}`);
  }
  if (c.monitors.length === 1) parts.push(`monitor of resource ${(c.monitors[0] as number) + 1} updated`);
  else if (c.monitors.length > 1)
    parts.push(`monitors of resources ${c.monitors.map((i) => i + 1).join(", ")} updated`);
  return `group ${c.name}: ${parts.join(", ")}`;
}
