// Turns a parsed YAML value into a Config, collecting every problem at once: schema issues first,
// then cross-field rules that need the whole file.
import type { z } from "zod";
import { checkCrossFields, type PartialConfig } from "./cross-checks.js";
import { coordinationIssues } from "./etcd-schema.js";
import type { ConfigIssue, KeyPath } from "./issues.js";
import { wireIssues } from "./wire-limits.js";
import {
  clusterSchema,
  configSchema,
  heartbeatSchema,
  quorumSchema,
  groupSchema,
  nodeSchema,
  virtualServerSchema,
  type Config,
} from "./schema.js";

/** Outcome of validation: a config only when there are no issues. */
export type ValidationResult = { ok: true; config: Config } | { ok: false; issues: ConfigIssue[] };

/** Validates a plain value (as parsed from YAML) against the schema and the cross-field rules. */
export function validateConfig(raw: unknown): ValidationResult {
  const parsed = configSchema.safeParse(raw ?? {});
  if (parsed.success) {
    const c = parsed.data.cluster;
    const twoNodeOnly = (["tiebreaker", "fence"] as const).filter((k) => c[k] !== undefined);
    const issues = [
      ...checkCrossFields({ ...parsed.data, cluster: { ...c, twoNodeOnly } }),
      ...(c.coordination === "builtin" ? wireIssues(parsed.data) : []),
      ...coordinationIssues(c, { nodes: parsed.data.nodes.length, groups: parsed.data.groups.length }),
    ];
    return issues.length === 0 ? { ok: true, config: parsed.data } : { ok: false, issues };
  }
  const issues = parsed.error.issues.flatMap((i) => fromZod(i, raw));
  const cluster = clusterSchema.safeParse((raw as { cluster?: unknown } | null)?.cluster);
  const r = raw as { nodes?: unknown; groups?: unknown } | null;
  const count = (v: unknown) => (Array.isArray(v) ? v.length : 0);
  const coordination = cluster.success
    ? coordinationIssues(cluster.data, { nodes: count(r?.nodes), groups: count(r?.groups) })
    : [];
  return { ok: false, issues: [...issues, ...checkCrossFields(partial(raw)), ...coordination] };
}

/** Parses each section item on its own so cross-field rules can still judge the valid ones. */
function partial(raw: unknown): PartialConfig {
  const r = (raw ?? {}) as Record<string, unknown>;
  const items = <T>(list: unknown, parse: (v: unknown) => { success: boolean; data?: T }): (T | undefined)[] =>
    Array.isArray(list)
      ? list.map((v) => {
          const p = parse(v);
          return p.success ? p.data : undefined;
        })
      : [];
  const c = (r.cluster ?? {}) as Record<string, unknown>;
  const heartbeat = heartbeatSchema.safeParse(c.heartbeat);
  const quorum = quorumSchema.safeParse(c.quorum);
  return {
    cluster: {
      port: typeof c.port === "number" ? c.port : undefined,
      heartbeat: heartbeat.success ? heartbeat.data : undefined,
      quorum: quorum.success ? quorum.data : undefined,
      twoNodeOnly: ["tiebreaker", "fence"].filter((k) => c[k] !== undefined),
    },
    nodes: Array.isArray(r.nodes) ? items(r.nodes, (v) => nodeSchema.safeParse(v)) : [undefined],
    groups: items(r.groups, (v) => groupSchema.safeParse(v)),
    virtual_servers: items(r.virtual_servers, (v) => virtualServerSchema.safeParse(v)),
  };
}

function valueAt(raw: unknown, path: KeyPath): unknown {
  let v = raw;
  for (const part of path)
    v = v !== null && typeof v === "object" ? (v as Record<string | number, unknown>)[part] : undefined;
  return v;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  if (typeof value === "string") return `"${value}"`;
  return String(value);
}

function fromZod(issue: z.core.$ZodIssue, raw: unknown): ConfigIssue[] {
  const path = issue.path.filter((p): p is string | number => typeof p !== "symbol");
  switch (issue.code) {
    case "unrecognized_keys":
      return issue.keys.map((key) => ({
        code: "E_UNKNOWN_KEY",
        path: [...path, key],
        atKey: true,
        message: `unknown key "${key}"`,
      }));
    case "invalid_type": {
      const value = valueAt(raw, path);
      if (value === undefined)
        return [{ code: "E_MISSING", path, message: `missing required key: ${withoutGot(issue.message)}` }];
      return [{ code: "E_TYPE", path, message: `${withoutGot(issue.message)}, got ${describe(value)}` }];
    }
    case "invalid_union": {
      const value = valueAt(raw, path);
      if (value === undefined) return [{ code: "E_MISSING", path, message: `missing required key: ${issue.message}` }];
      return [{ code: "E_VALUE", path, message: `${issue.message}, got ${describe(value)}` }];
    }
    case "invalid_key":
      // A record key that failed its own check: its message says what was expected.
      return [{ code: "E_VALUE", path, message: issue.issues[0]?.message ?? issue.message }];
    case "too_small":
    case "too_big":
      return [{ code: "E_VALUE", path, message: rangeMessage(issue, valueAt(raw, path)) }];
    default:
      return [{ code: "E_VALUE", path, message: issue.message }];
  }
}

function withoutGot(message: string): string {
  return message.replace(/^Invalid input: /, "").replace(/, received \w+$/, "");
}

function rangeMessage(issue: z.core.$ZodIssueTooSmall | z.core.$ZodIssueTooBig, value: unknown): string {
  if (!issue.message.startsWith("Too ")) return issue.message;
  const bound = issue.code === "too_small" ? `at least ${String(issue.minimum)}` : `at most ${String(issue.maximum)}`;
  const got = typeof value === "number" ? `, got ${value}` : "";
  return issue.origin === "array" ? `expected ${bound} entries` : `expected ${bound}${got}`;
}
