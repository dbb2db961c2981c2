// What the wire can carry: every node, group and the leader lock must have distinct wire ids, and the
// largest heartbeat this config can produce must fit in one packet. The worst case is a leader that
// claims, runs and failed every group, with a budget for each, announcing an assignment, a move and a
// cleanup for each group, failing a track check of each, every node in standby, and the longest position
// of each promotable group (see adapters/compact-wire for the encoding).
import { MAX_PAYLOAD } from "../cluster/messages.js";
import { MAX_POSITION_CHARS } from "../cluster/positions.js";
import { LEADER_LOCK } from "../cluster/spec.js";
import { NOBODY, wireId } from "../cluster/wire-ids.js";
import type { ConfigIssue } from "./issues.js";
import type { Config } from "./schema.js";

/** Characters of base64 for `bytes` bytes. */
const b64 = (bytes: number) => 4 * Math.ceil(bytes / 3);
/** JSON keys, punctuation, counters and flags of a heartbeat with every optional part present. */
const FIXED = 600;

/** The largest compact heartbeat payload (bytes) of a cluster with these counts and longest node name. */
export function worstHeartbeatBytes(groups: number, nodes: number, longestNodeName: number, promotable = 0): number {
  const locks = groups + 1;
  const ids = (n: number) => b64(4 * n);
  const pairs = (n: number) => b64(8 * n);
  return (
    FIXED +
    longestNodeName +
    ids(locks) + // claims
    pairs(locks) + // budgets
    ids(groups) * 2 + // running, unclean
    ids(nodes) * 2 + // alive, admin standby
    pairs(groups) * 5 + // failures, track verdicts, assignments, moves, cleanups
    promotable * (16 + MAX_POSITION_CHARS) // [id, "position"] per promotable group
  );
}

/** Issues of a config that the wire cannot carry. */
export function wireIssues(config: Pick<Config, "nodes" | "groups">): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const seen = new Map<number, string>([[wireId(LEADER_LOCK), LEADER_LOCK]]);
  const claim = (name: string, path: ConfigIssue["path"]) => {
    const id = wireId(name);
    const other = id === NOBODY ? "(reserved)" : seen.get(id);
    if (other !== undefined && other !== name)
      issues.push({
        code: "E_WIRE_ID",
        path,
        message: `"${name}" has the same wire id as "${other}" (a 32-bit hash); rename one of them`,
      });
    seen.set(id, name);
  };
  config.nodes.forEach((n, i) => claim(n.name, ["nodes", i, "name"]));
  config.groups.forEach((g, i) => claim(g.name, ["groups", i, "name"]));
  const longest = Math.max(0, ...config.nodes.map((n) => n.name.length));
  const promotable = config.groups.filter((g) => g.resources.some((r) => r.type === "mariadb")).length;
  const bytes = worstHeartbeatBytes(config.groups.length, config.nodes.length, longest, promotable);
  if (bytes > MAX_PAYLOAD)
    issues.push({
      code: "E_WIRE_SIZE",
      path: ["groups"],
      message: `${config.groups.length} groups on ${config.nodes.length} nodes can make a heartbeat of ${bytes} bytes, more than the ${MAX_PAYLOAD} a packet carries; split the cluster or merge groups`,
    });
  return issues;
}
