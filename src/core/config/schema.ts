// The configuration contract (../shared/vigil.example.yaml) as a zod schema. Parsing yields a typed,
// defaulted Config; every failure carries the key path it concerns.
import { z } from "zod";
import { parseCidr, parseEndpoint, parseNodeAddress } from "../net/address.js";
import { parseDuration } from "./duration.js";
import { coordinationSchema, etcdSchema } from "./etcd-schema.js";
import { absolutePath, argList, kernelStringProblem, utf8Bytes } from "./kernel-strings.js";
import {
  MAX_ARG_BYTES,
  MAX_ARGS_TOTAL_BYTES,
  MAX_ETCD_GROUPS,
  MAX_ETCD_NODES,
  MAX_LINKS,
  MAX_NAME_LENGTH,
  MAX_OCF_SEGMENT_LENGTH,
  MAX_RESOURCES_PER_GROUP,
  MAX_VIRTUAL_SERVERS,
  NAME_PATTERN,
  OCF_PARAM_NAME_PATTERN,
  OCF_SEGMENT_PATTERN,
} from "./limits.js";
import { interfaceName, notifySchema, trackSchema } from "./track-schema.js";

/** A duration written as "50ms", "1.5s", "2m" or "1h", parsed to milliseconds. */
const duration = z.string({ error: 'expected a duration such as "50ms", "1.5s" or "2m"' }).transform((text, ctx) => {
  const ms = parseDuration(text);
  if (ms === undefined) {
    ctx.addIssue({ code: "custom", message: `expected a duration such as "50ms", "1.5s" or "2m", got "${text}"` });
    return z.NEVER;
  }
  return ms;
});

/** A string that must parse with `parse`; `what` names the expected form in the error. */
function parsed(what: string, parse: (s: string) => unknown) {
  return z.string({ error: `expected ${what}` }).refine((s) => parse(s) !== undefined, {
    error: (iss) => `expected ${what}, got "${String(iss.input)}"`,
  });
}

const name = z.string({ error: "expected a name" }).refine((s) => s.length <= MAX_NAME_LENGTH && NAME_PATTERN.test(s), {
  error: (iss) =>
    `expected a name of letters, digits, '_', '.', '-' (at most ${MAX_NAME_LENGTH})${String(iss.input).length > MAX_NAME_LENGTH ? `, got one of ${String(iss.input).length} characters` : ""}`,
});
const endpoint = parsed("an address IP:PORT such as 10.77.0.21:3306", parseEndpoint);
const nodeAddress = parsed("an IP address, optionally with :PORT", (s) => parseNodeAddress(s, 1));
const hostName = z
  .string({ error: "expected a host name" })
  .regex(/^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*\.?$/, {
    error: "expected a DNS name such as vigil.example.com (no port, no scheme)",
  });
const int = (min: number, max: number) =>
  z
    .number({ error: (iss) => (iss.code === "invalid_type" ? "expected a whole number" : undefined) })
    .int({ error: "expected a whole number" })
    .min(min)
    .max(max);

/** How often a resource's monitor runs and how long one run may take. */
const monitor = z.strictObject({
  interval: duration,
  timeout: duration,
});

/** Per-operation time limits of a resource (default 20s each), separate from the monitor's timeout. A
 * start past its limit is killed and fails; a stop past its limit is killed and escalated. */
const timeouts = z
  .strictObject({
    start: duration.optional(),
    stop: duration.optional(),
  })
  .default({});

/** `vip`: an address added to an interface and announced with gratuitous ARP. */
const vipResource = z.strictObject({
  type: z.literal("vip"),
  address: parsed("an address with prefix such as 10.77.0.100/24", parseCidr),
  interface: interfaceName,
  /** Repeat the gratuitous ARP this often while the VIP is held (default: only the burst on takeover). */
  garp_refresh: duration.optional(),
  timeouts,
});

/** `exec`: an LSB-style script called with start | stop | status plus `args`. */
const execResource = z.strictObject({
  type: z.literal("exec"),
  path: absolutePath,
  args: argList.default([]),
  /** `lsb` (default): `PATH ACTION ARGS...`, as init scripts take it; `heartbeat`: `PATH ARGS... ACTION`,
   * as heartbeat's haresources calls `script::arg1::arg2`. Status: exit 0 running, 3 stopped, else failed. */
  convention: z.enum(["lsb", "heartbeat"], { error: "expected lsb or heartbeat" }).default("lsb"),
  monitor: monitor.optional(),
  timeouts,
});

/** An OCF agent "PROVIDER/AGENT": two plain path segments (no "..", no "/", not absolute), so that
 * the agent stays inside $OCF_ROOT/resource.d. */
const ocfAgent = z.string({ error: "expected PROVIDER/AGENT" }).refine(
  (s) => {
    const parts = s.split("/");
    return parts.length === 2 && parts.every((p) => p.length <= MAX_OCF_SEGMENT_LENGTH && OCF_SEGMENT_PATTERN.test(p));
  },
  {
    error: (iss) =>
      `expected PROVIDER/AGENT such as heartbeat/Filesystem (letters, digits, '_', '.', '-', not starting with '.'; no other '/'), got ${JSON.stringify(iss.input)}`,
  },
);

/** OCF parameters, passed as OCF_RESKEY_<name>=<value>: names fit an environment variable, values
 * hold no NUL byte, each variable and all of them together fit the kernel's limits. */
const ocfParams = z
  .record(
    z.string().regex(OCF_PARAM_NAME_PATTERN, {
      error: (iss) =>
        `expected a parameter name of letters, digits and '_' (it becomes OCF_RESKEY_<name>), got ${JSON.stringify(iss.input)}`,
    }),
    z
      .union([z.string(), z.number(), z.boolean()], { error: "expected a string, number or boolean" })
      .superRefine((v, ctx) => {
        const problem = typeof v === "string" ? kernelStringProblem(v, "the value", MAX_ARG_BYTES - 64) : undefined;
        if (problem) ctx.addIssue({ code: "custom", message: problem });
      }),
  )
  .superRefine((params, ctx) => {
    const total = Object.entries(params).reduce((n, [k, v]) => n + utf8Bytes(`OCF_RESKEY_${k}=${String(v)}`) + 1, 0);
    if (total > MAX_ARGS_TOTAL_BYTES)
      ctx.addIssue({
        code: "custom",
        message: `the parameters take ${total} bytes of environment together; at most ${MAX_ARGS_TOTAL_BYTES} are allowed`,
      });
  });

/** `ocf`: an OCF agent "PROVIDER/AGENT" with parameters passed as OCF_RESKEY_*. */
const ocfResource = z.strictObject({
  type: z.literal("ocf"),
  agent: ocfAgent,
  params: ocfParams.default({}),
  monitor: monitor.optional(),
  timeouts,
});

/** `systemd`: a unit driven with systemctl start | stop | is-active. */
const systemdResource = z.strictObject({
  type: z.literal("systemd"),
  unit: z.string({ error: "expected a unit name" }).regex(/^[A-Za-z0-9:_.@-]+\.(service|socket|target|mount|timer)$/, {
    error: "expected a unit name such as mariadb.service",
  }),
  monitor: monitor.optional(),
  timeouts,
});

/** `mariadb` operation limits: start (a fresh datadir is initialised, a replica seeded), stop (demotion:
 * read_only, connections killed, mariadbd stopped) and promote (the candidate applies its relay log and
 * catches up from a replica that holds more). Defaults 120s / 60s / 30s. */
const mariadbTimeouts = z
  .strictObject({
    start: duration.optional(),
    stop: duration.optional(),
    promote: duration.optional(),
  })
  .default({});

/** `mariadb`: a promotable resource. vigil runs `mariadbd` on every eligible node as a read-only replica
 * and promotes the one on the group's node to primary (see docs/databases.md). */
const mariadbResource = z.strictObject({
  type: z.literal("mariadb"),
  /** The data directory; initialised with mariadb-install-db when empty. */
  datadir: absolutePath,
  /** TCP port of mariadbd on every node (replication and clients connect to it). */
  port: int(1, 65535).default(3306),
  /** Addresses mariadbd listens on: any (every address, so clients reach the primary on the group's
   * VIP) or node (only the node's own address from `nodes:`, for several nodes on one host, as the demo
   * runs them; clients then come through a virtual server). */
  bind: z.enum(["any", "node"], { error: "expected any or node" }).default("any"),
  /** The local socket vigil uses for its own connection. */
  socket: absolutePath,
  /** The account vigil uses for replication and monitoring (created on a fresh datadir). */
  user: z
    .string({ error: "expected a MariaDB user name" })
    .regex(/^[A-Za-z0-9_]{1,32}$/, { error: "expected a MariaDB user name of letters, digits and '_' (at most 32)" }),
  /** A file holding that account's password (first line; the same on every node). */
  password_file: absolutePath,
  /** strict: a commit is acknowledged only once a replica has it, never falling back to async; on:
   * semi-sync that falls back to async after 10s without a replica; off: asynchronous replication. */
  semi_sync: z.enum(["strict", "on", "off"], { error: "expected strict, on or off" }).default("strict"),
  /** How often the role and replication are checked on the primary (default 1s). */
  monitor: monitor.optional(),
  timeouts: mariadbTimeouts,
});

const resource = z.discriminatedUnion(
  "type",
  [vipResource, execResource, ocfResource, systemdResource, mariadbResource],
  {
    error: "expected a resource with type vip, exec, ocf, systemd or mariadb",
  },
);

/** A resource group: what moves together on failover. */
export const groupSchema = z.strictObject({
  name,
  /** Run on every eligible node at once, with no lease (e.g. HAProxy everywhere); other groups may
   * track it. A clone has no prefer, failback, track or VIP. */
  clone: z.boolean({ error: "expected true or false" }).default(false),
  prefer: z.array(name).default([]),
  failback: z.boolean({ error: "expected true or false" }).default(false),
  migration_threshold: int(1, 1_000_000).default(3),
  /** Failures older than this are forgotten (default: kept until `vigil cleanup`). */
  failure_timeout: duration.optional(),
  resources: z
    .array(resource)
    .min(1, { error: "a group needs at least one resource" })
    .max(MAX_RESOURCES_PER_GROUP, { error: `a group may have at most ${MAX_RESOURCES_PER_GROUP} resources` }),
  /** Checks every node runs for itself; the group runs only where all of them pass. */
  track: trackSchema,
  notify: notifySchema.optional(),
});

/** Active health check of real servers. */
const check = z.strictObject({
  type: z.enum(["tcp", "http", "https", "exec", "mariadb"], {
    error: "expected one of tcp, http, https, exec, mariadb",
  }),
  interval: duration.default(1000),
  timeout: duration.default(1000),
  /** Consecutive successes that mark a down server up. */
  rise: int(1, 100).default(2),
  /** Consecutive failures that mark an up server down. */
  fall: int(1, 100).default(3),
  /** Check this port instead of the real server's own (tcp, http, https). */
  port: int(1, 65535).optional(),
  /** http/https: request method (default GET). */
  method: z.enum(["GET", "HEAD", "POST", "OPTIONS"], { error: "expected GET, HEAD, POST or OPTIONS" }).optional(),
  /** http/https: request path (default /). */
  path: z
    .string({ error: "expected a path such as /health" })
    .regex(/^\/[^\s\0]*$/, { error: "expected a path starting with / and without spaces or NUL bytes" })
    .optional(),
  /** http/https: status codes that count as healthy (default [200]). */
  expect_status: z
    .union([int(100, 599), z.array(int(100, 599)).min(1)], { error: "expected a status code or a list of them" })
    .optional(),
  /** http/https: text the response body must contain. */
  expect_body: z.string({ error: "expected text to find in the body" }).optional(),
  /** http/https: the Host header (default: the server's address). */
  host: z
    .string({ error: "expected a host name" })
    .regex(/^[A-Za-z0-9.:[\]-]+$/, { error: "expected a host name such as www.example.com" })
    .optional(),
  /** https: verify the server's certificate (default true). */
  tls_verify: z.boolean({ error: "expected true or false" }).optional(),
  /** exec: the script; called as SCRIPT ARGS... IP PORT, exit 0 = healthy. */
  script: absolutePath.optional(),
  /** exec: arguments before IP and PORT. */
  args: argList.optional(),
  /** mariadb: the account the check logs in as (a plain login; `role: replica` also needs REPLICATION
   * CLIENT or SLAVE MONITOR to read the replica's status). */
  user: z
    .string({ error: "expected a MariaDB user name" })
    .regex(/^[A-Za-z0-9_]{1,32}$/, { error: "expected a MariaDB user name of letters, digits and '_' (at most 32)" })
    .optional(),
  /** mariadb: a file holding that account's password (first line). */
  password_file: absolutePath.optional(),
  /** mariadb: what makes the server healthy: primary (accepts writes: read_only off, the default),
   * replica (read-only with both replication threads running), any (answers a query). */
  role: z.enum(["primary", "replica", "any"], { error: "expected primary, replica or any" }).optional(),
});

/** One backend of a virtual server. */
const realServer = z.strictObject({
  address: endpoint,
  weight: int(0, 65535).default(1),
});

/** A TCP virtual server balancing over health-checked real servers. */
export const virtualServerSchema = z.strictObject({
  name,
  listen: endpoint,
  scheduler: z.enum(["rr", "wrr", "lc", "wlc", "sh"], { error: "expected one of rr, wrr, lc, wlc, sh" }).default("wrr"),
  persistence: duration.optional(),
  real_servers: z.array(realServer).min(1, { error: "a virtual server needs at least one real server" }),
  check: check.default({ type: "tcp", interval: 1000, timeout: 1000, rise: 2, fall: 3 }),
  sorry_server: endpoint.optional(),
  quiescent: z.boolean({ error: "expected true or false" }).default(false),
  /** Serve only on the node that runs this group (default: the group whose vip is the listen address; none: every node). */
  group: name.optional(),
  /** How long a connect to a real server may take before the next server is tried. */
  connect_timeout: duration.default(1000),
  /** How many other real servers are tried after a failed connect. */
  retries: int(0, 100).default(2),
  /** A connection idle this long in both directions is closed. */
  idle_timeout: duration.default(600_000),
  /** Pass the client address to real servers with the PROXY protocol. */
  proxy_protocol: z.enum(["none", "v1", "v2"], { error: "expected none, v1 or v2" }).default("none"),
  /** Client connections beyond this are refused (closed at once) and counted. */
  max_connections: int(1, 1_000_000).default(10_000),
  /** How packets reach the real servers: `proxy` (userspace TCP proxy), `nat` (nftables DNAT on the
   * owner; clients keep their address, replies must route through the owner) or `fullnat` (DNAT plus
   * SNAT to the owner's address: any topology, client address not kept). */
  forward: z.enum(["proxy", "nat", "fullnat"], { error: "expected proxy, nat or fullnat" }).default("proxy"),
  /** The transport balanced; `udp` needs forward nat or fullnat. */
  protocol: z.enum(["tcp", "udp"], { error: "expected tcp or udp" }).default("tcp"),
});

/** One cluster member. */
export const nodeSchema = z.strictObject({
  name,
  address: nodeAddress,
  links: z
    .array(nodeAddress)
    .max(MAX_LINKS - 1, { error: `a node may have at most ${MAX_LINKS} links (its address and ${MAX_LINKS - 1} more)` })
    .default([]),
  priority: int(0, 255).default(100),
  votes: int(0, 100).default(1),
  witness: z.boolean({ error: "expected true or false" }).default(false),
});

/** `cluster.heartbeat`: how often nodes speak and how long a leader or owner lease lasts. */
export const heartbeatSchema = z
  .strictObject({ interval: duration.default(25), lease: duration.default(150) })
  .default({ interval: 25, lease: 150 });

/** `cluster.quorum`: majority of all votes, or keepalived-like two_node. */
export const quorumSchema = z
  .enum(["majority", "two_node"], { error: "expected majority or two_node" })
  .default("majority");

/** `cluster.fence`: a command run as `PATH ARGS... NODE` that must power off or isolate NODE (exit 0). */
const fenceSchema = z.strictObject({
  path: absolutePath,
  args: argList.default([]),
  timeout: duration.default(30_000),
});

/** `cluster.last_resort`: run as `PATH ARGS...` when a stop failed and killing the resource's processes
 * did not end it either; it must leave nothing of the node's groups running (a forced reboot, as sbd's
 * watchdog does) and exit 0. Without it such a group stays unclean and blocked until cleanup. */
const lastResortSchema = z.strictObject({
  path: absolutePath,
  args: argList.default([]),
  timeout: duration.default(10_000),
});

/** The `cluster:` section: identity, key, port, timers and quorum mode. */
export const clusterSchema = z.strictObject({
  name,
  /** The cluster key file (mode 0600): one key per line, at most two. The first signs what this node
   * sends, both are accepted; a second line exists only during a key rotation (append the new key,
   * reload every node; put it first, reload every node; remove the old one, reload every node). */
  key_file: absolutePath,
  port: int(1, 65535).default(5405),
  heartbeat: heartbeatSchema,
  quorum: quorumSchema,
  /** two_node only: an address the survivor must reach (ICMP ping for IP, TCP connect for IP:PORT). */
  tiebreaker: parsed("an IP address, or IP:PORT for a TCP check", (s) => parseNodeAddress(s, 0)).optional(),
  /** two_node only: how the survivor fences its peer before taking over. */
  fence: fenceSchema.optional(),
  /** What this node runs on itself when a stop and its SIGKILL escalation both failed. */
  last_resort: lastResortSchema.optional(),
  /** Who holds the locks: builtin (vigil's own majority leases over UDP) or etcd. */
  coordination: coordinationSchema,
  /** coordination: etcd only: the etcd cluster's endpoints, key prefix, session ttl and TLS files. */
  etcd: etcdSchema.optional(),
});

/** The whole file. */
export const configSchema = z.strictObject({
  cluster: clusterSchema,
  nodes: z
    .array(nodeSchema)
    .min(1, { error: "at least one node is required" })
    .max(MAX_ETCD_NODES, { error: `at most ${MAX_ETCD_NODES} nodes are supported (with coordination: etcd)` }),
  api: z
    .strictObject({
      listen: endpoint.default("127.0.0.1:7480"),
      token_file: absolutePath.optional(),
      /** Host names (besides the listen address, and localhost when listening on loopback) the API answers
       * to, e.g. the name of a reverse proxy or of the node; any other Host header is refused (421), which
       * stops DNS-rebinding pages. Compared without the port, case-insensitively. */
      allowed_hosts: z.array(hostName).default([]),
      /** The group (name or number) whose members may use the local API socket (mode 0660) for commands
       * without a token; default: the daemon's own group (root). */
      group: z
        .string({ error: "expected a group name or number" })
        .regex(/^([a-z_][a-z0-9_-]{0,31}|\d{1,10})$/, { error: "expected a Unix group name or gid" })
        .optional(),
      /** How far back each node keeps its history in memory (group states, decisions, heartbeat gaps,
       * checks, traffic, operation times) for GET /history, the page's timeline and `vigil report`. */
      history: duration
        .refine((ms) => ms >= 10_000 && ms <= 86_400_000, { error: "expected a duration from 10s to 24h" })
        .default(600_000),
    })
    .default({ listen: "127.0.0.1:7480", allowed_hosts: [], history: 600_000 }),
  groups: z
    .array(groupSchema)
    .max(MAX_ETCD_GROUPS, { error: `at most ${MAX_ETCD_GROUPS} groups are supported (with coordination: etcd)` })
    .default([]),
  virtual_servers: z
    .array(virtualServerSchema)
    .max(MAX_VIRTUAL_SERVERS, { error: `at most ${MAX_VIRTUAL_SERVERS} virtual servers are supported` })
    .default([]),
});

/** A validated configuration with defaults filled in; durations are milliseconds. */
export type Config = z.output<typeof configSchema>;
export type NodeConfig = Config["nodes"][number];
export type GroupConfig = Config["groups"][number];
export type ResourceConfig = GroupConfig["resources"][number];
export type ClusterConfig = Config["cluster"];
export type VirtualServerConfig = Config["virtual_servers"][number];
export type MariadbConfig = Extract<ResourceConfig, { type: "mariadb" }>;
