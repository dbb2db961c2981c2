// `cluster.coordination` and `cluster.etcd`: which service holds the locks, and how to reach etcd when it
// is etcd. Parsed once here: endpoints become normalized origins, the ttl milliseconds of whole seconds.
import { z } from "zod";
import { parseDuration } from "./duration.js";
import type { ConfigIssue } from "./issues.js";
import { absolutePath } from "./kernel-strings.js";
import { MAX_ETCD_GROUPS, MAX_ETCD_NODES, MAX_GROUPS, MAX_NODES } from "./limits.js";

/** The shortest session lease: etcd counts leases in whole seconds, and a lease must survive a missed
 * keepalive (sent every ttl / 3). */
export const MIN_ETCD_TTL_MS = 2000;
/** The longest session lease: a node cut off from etcd keeps its groups this long. */
export const MAX_ETCD_TTL_MS = 3_600_000;
/** The most endpoints (an etcd cluster has at most a handful of members). */
export const MAX_ETCD_ENDPOINTS = 16;
/** The longest key prefix, bytes. */
export const MAX_ETCD_PREFIX_BYTES = 256;

/** `cluster.coordination`: vigil's own majority leases over UDP (default), or an etcd cluster. */
export const coordinationSchema = z.enum(["builtin", "etcd"], { error: "expected builtin or etcd" }).default("builtin");

/** An etcd client URL as written in the config, normalized to `scheme://host:port`, or why it is not one. */
export function parseEtcdEndpoint(text: string): { ok: true; origin: string } | { ok: false; why: string } {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { ok: false, why: "not a URL" };
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    return { ok: false, why: "the scheme must be http or https" };
  if (url.port === "") return { ok: false, why: "the port must be given (etcd's client port is usually 2379)" };
  if (url.username !== "" || url.password !== "") return { ok: false, why: "credentials in the URL are not supported" };
  if (url.pathname !== "/" || url.search !== "" || url.hash !== "")
    return { ok: false, why: "no path, query or fragment: vigil adds /v3/... itself" };
  return { ok: true, origin: url.origin };
}

const ENDPOINT_FORM = "expected an etcd client URL such as http://10.77.0.31:2379";

/** One endpoint, normalized to its origin. */
const etcdEndpoint = z.string({ error: ENDPOINT_FORM }).transform((text, ctx) => {
  const r = parseEtcdEndpoint(text);
  if (!r.ok) {
    ctx.addIssue({ code: "custom", message: `${ENDPOINT_FORM}, got "${text}": ${r.why}` });
    return z.NEVER;
  }
  return r.origin;
});

/** The session lease's TTL: whole seconds, MIN_ETCD_TTL_MS..MAX_ETCD_TTL_MS, as milliseconds. */
const etcdTtl = z.string({ error: 'expected whole seconds such as "3s"' }).transform((text, ctx) => {
  const ms = parseDuration(text);
  const problem =
    ms === undefined
      ? "not a duration"
      : ms % 1000 !== 0
        ? "etcd counts leases in whole seconds"
        : ms < MIN_ETCD_TTL_MS
          ? `at least ${MIN_ETCD_TTL_MS / 1000}s: the session must survive a missed keepalive`
          : ms > MAX_ETCD_TTL_MS
            ? `at most ${MAX_ETCD_TTL_MS / 3_600_000}h: a node cut off from etcd keeps its groups this long`
            : undefined;
  if (problem !== undefined || ms === undefined) {
    ctx.addIssue({
      code: "custom",
      message: `expected whole seconds of at least 2s such as "3s", got "${text}": ${problem}`,
    });
    return z.NEVER;
  }
  return ms;
});

/** Every key vigil writes lives under this prefix: starts with "/", no trailing "/", printable. */
const etcdPrefix = z
  .string({ error: "expected a key prefix such as /vigil/db-pair" })
  .refine((s) => /^\/[\x21-\x7e]*$/.test(s) && !s.endsWith("/") && s.length <= MAX_ETCD_PREFIX_BYTES, {
    error: (iss) =>
      `expected a key prefix such as /vigil/db-pair (starting with /, no trailing /, printable ASCII without spaces, at most ${MAX_ETCD_PREFIX_BYTES} characters), got ${JSON.stringify(iss.input)}`,
  });

/** `cluster.etcd`: where the etcd cluster is and how vigil uses it. */
export const etcdSchema = z
  .strictObject({
    /** Client URLs of the etcd members (`http://IP:PORT` or `https://...`); vigil fails over between them. */
    endpoints: z
      .array(etcdEndpoint)
      .min(1, { error: "expected at least one etcd endpoint" })
      .max(MAX_ETCD_ENDPOINTS, { error: `expected at most ${MAX_ETCD_ENDPOINTS} etcd endpoints` }),
    /** Every key vigil writes is under it; give each vigil cluster its own. */
    prefix: etcdPrefix,
    /** The node session lease (whole seconds, at least 2s): a node that cannot reach etcd stops its groups
     * before it ends, and another node may take them after it. */
    ttl: etcdTtl.default(3000),
    /** https: the CA bundle that signed the etcd members' certificates (default: the system's CAs). */
    ca_file: absolutePath.optional(),
    /** https: this node's client certificate (PEM), with key_file. */
    cert_file: absolutePath.optional(),
    /** https: the private key of cert_file (PEM). */
    key_file: absolutePath.optional(),
  })
  .superRefine((e, ctx) => {
    const schemes = new Set(e.endpoints.map((u) => u.split(":")[0]));
    if (schemes.size > 1)
      ctx.addIssue({
        code: "custom",
        path: ["endpoints"],
        message: "expected every endpoint to use the same scheme (all http or all https)",
      });
    const https = schemes.has("https");
    for (const key of ["ca_file", "cert_file", "key_file"] as const)
      if (e[key] !== undefined && !https)
        ctx.addIssue({ code: "custom", path: [key], message: `${key} applies only to https:// endpoints` });
    if ((e.cert_file === undefined) !== (e.key_file === undefined))
      ctx.addIssue({
        code: "custom",
        path: [e.cert_file === undefined ? "cert_file" : "key_file"],
        message: "expected cert_file and key_file together (a client certificate and its key)",
      });
    const seen = new Set<string>();
    e.endpoints.forEach((u, i) => {
      if (seen.has(u))
        ctx.addIssue({ code: "custom", path: ["endpoints", i], message: `endpoint ${u} is listed twice` });
      seen.add(u);
    });
  });

/** A validated `cluster.etcd`: endpoints are origins, ttl is milliseconds. */
export type EtcdConfig = z.output<typeof etcdSchema>;

/** The cross-key rules of `coordination`, once the cluster section parsed. */
export function coordinationIssues(
  c: {
    coordination: "builtin" | "etcd";
    etcd?: EtcdConfig;
    quorum: string;
  },
  counts: { nodes: number; groups: number },
): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  if (c.coordination === "builtin" && counts.nodes > MAX_NODES)
    issues.push({
      code: "E_VALUE",
      path: ["nodes"],
      message: `at most ${MAX_NODES} nodes are supported with coordination: builtin (every node hears every other over UDP); coordination: etcd takes up to ${MAX_ETCD_NODES}`,
    });
  if (c.coordination === "builtin" && counts.groups > MAX_GROUPS)
    issues.push({
      code: "E_VALUE",
      path: ["groups"],
      message: `at most ${MAX_GROUPS} groups are supported with coordination: builtin (the heartbeat carries every group); coordination: etcd takes up to ${MAX_ETCD_GROUPS}`,
    });
  if (c.coordination === "etcd" && c.etcd === undefined)
    issues.push({
      code: "E_MISSING",
      path: ["cluster", "etcd"],
      message: "missing required key: coordination: etcd needs cluster.etcd: { endpoints, prefix, ttl }",
    });
  if (c.coordination === "etcd" && c.quorum === "two_node")
    issues.push({
      code: "E_QUORUM",
      path: ["cluster", "quorum"],
      message: "quorum: two_node applies only to coordination: builtin; with etcd, etcd's own majority decides",
    });
  if (c.coordination === "builtin" && c.etcd !== undefined)
    issues.push({
      code: "E_VALUE",
      path: ["cluster", "etcd"],
      message: "cluster.etcd applies only to coordination: etcd (set coordination: etcd, or remove it)",
    });
  return issues;
}

/** The `vigil check` summary line for the coordination backend. */
export function coordinationSummary(c: { coordination: "builtin" | "etcd"; etcd?: EtcdConfig }): string {
  if (c.coordination === "builtin" || c.etcd === undefined)
    return "coordination: builtin (vigil's own majority leases over UDP)";
  const e = c.etcd;
  const n = e.endpoints.length;
  const tls = e.cert_file ? ", TLS with a client certificate" : e.endpoints[0]?.startsWith("https:") ? ", TLS" : "";
  return (
    `coordination: etcd at ${n} endpoint${n === 1 ? "" : "s"} (${e.endpoints.join(", ")}), prefix ${e.prefix}, ` +
    `session ttl ${e.ttl / 1000}s${tls} (expect a failover within about ttl + 0.5s, plus a group's stop budget)`
  );
}
