// `vigil import heartbeat`: ha.cf (nodes, links, timers, failback, ping nodes), haresources (one group
// per line, resources in order) and authkeys (never copied: the header says to run `vigil keygen`).
import { formatDuration } from "../config/duration.js";
import type { KeyPath } from "../config/issues.js";
import { parseIp } from "../net/address.js";
import { clusterSections, type ImportedNode } from "./cluster-shape.js";
import { Draft, finish, safeName } from "./draft.js";
import { HA_CF_DIRECTIVES, type AuthKeysShape, type Line } from "./heartbeat-files.js";
import { ImportError, type ImportResult, type SourcePos } from "./types.js";

/** What `vigil import heartbeat` was given, already read into lines. */
export interface HeartbeatInput {
  haCf: { file: string; lines: readonly Line[] };
  haresources?: { file: string; lines: readonly Line[] };
  authkeys?: { file: string; shape: AuthKeysShape };
  addresses: ReadonlyMap<string, string>;
  clusterName: string;
  keyFile: string;
  /** Interface for addresses that name none (heartbeat found it from the routing table). */
  defaultInterface: string;
}

/** Scripts that live in /etc/ha.d/resource.d (heartbeat's own), called as SCRIPT ARGS... ACTION. */
const RESOURCE_D = new Set([
  "drbddisk",
  "MailTo",
  "IPsrcaddr",
  "Delay",
  "SendArp",
  "AudibleAlarm",
  "apache",
  "db2",
  "ICP",
  "ids",
  "LinuxSCSI",
  "LVM",
  "LVSSyncDaemonSwap",
  "OCF",
  "portblock",
  "Raid1",
  "ServeRAID",
  "WAS",
  "WinPopup",
  "Xinetd",
]);

const HA_CF_REASONS: [string[], string][] = [
  [["bcast", "mcast", "mcast6"], "vigil sends unicast heartbeats to every node's address (nodes[].address and links)"],
  [["udpport"], "vigil uses its own port (cluster.port, default 5405)"],
  [["warntime"], "vigil logs each late link and each lost peer; /status shows heartbeat gaps"],
  [
    ["initdead"],
    "vigil places groups once a quorum is reached; a restarted voter waits out the promises it may have forgotten",
  ],
  [
    ["logfile", "debugfile", "logfacility", "use_logd", "debug", "syslogmsgfmt"],
    "vigil logs to stderr (the journal under systemd)",
  ],
  [["baud", "serial"], "no serial links: give a node more addresses under links"],
  [
    ["watchdog"],
    "no watchdog device: vigil's guard stops a dead daemon's resources, and cluster.last_resort can reboot",
  ],
  [
    ["crm", "pacemaker"],
    "with crm on, heartbeat ignored haresources and pacemaker's CIB held the resources; the CIB is not imported",
  ],
  [
    [
      "apiauth",
      "compression",
      "compression_threshold",
      "traditional_compression",
      "autojoin",
      "hopfudge",
      "deadping",
      "realtime",
      "uuidfrom",
      "coredumps",
      "msgfmt",
      "conn_logd_time",
      "max_rexmit_delay",
      "rtprio",
      "generation_threshold",
      "hbgenmethod",
      "enable_config_writes",
      "record_config_changes",
      "record_pengine_inputs",
      "memreserve",
    ],
    "heartbeat tuning with no vigil equivalent",
  ],
];
const REASON = new Map(HA_CF_REASONS.flatMap(([ws, why]) => ws.map((w) => [w, why] as const)));

/** heartbeat times: "2" (seconds), "500ms", "2s", "1000us". */
function hbTime(text: string | undefined): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ms|us|s)?$/.exec(text ?? "");
  if (!m) return undefined;
  const n = Number(m[1]);
  return Math.round(m[2] === "ms" ? n : m[2] === "us" ? n / 1000 : n * 1000);
}

/** Imports heartbeat's files; throws ImportError when a node has no address. */
export function importHeartbeat(input: HeartbeatInput): ImportResult {
  const d = new Draft();
  const nodes: string[] = [];
  const ucast: { iface: string; ip: string; at: SourcePos }[] = [];
  const pings: { address: string; at: SourcePos; group?: string }[] = [];
  let keepalive: { ms: number; at: SourcePos } | undefined;
  let deadtime: { ms: number; at: SourcePos } | undefined;
  let failback: { value: boolean; text: string; at: SourcePos } | undefined;
  let ipfail = false;
  for (const l of input.haCf.lines) {
    const [kw, ...args] = l.words as [string, ...string[]];
    switch (kw) {
      case "node":
        nodes.push(...args);
        break;
      case "ucast":
      case "ucast6":
        if (args[0] && args[1] && parseIp(args[1])) ucast.push({ iface: args[0], ip: args[1], at: l.at });
        else d.note(l.at, "unmapped", `ucast ${args.join(" ")}: expected INTERFACE IP`);
        break;
      case "keepalive":
      case "deadtime": {
        const ms = hbTime(args[0]);
        if (ms === undefined || ms === 0) d.note(l.at, "unmapped", `${kw} ${args[0] ?? ""}: not a time`);
        else if (kw === "keepalive") keepalive = { ms, at: l.at };
        else deadtime = { ms, at: l.at };
        break;
      }
      case "auto_failback":
      case "nice_failback": {
        const on = ["on", "yes", "true", "1"].includes((args[0] ?? "").toLowerCase());
        failback = { value: kw === "nice_failback" ? !on : on, text: `${kw} ${args[0] ?? ""}`, at: l.at };
        break;
      }
      case "ping":
        for (const a of args) if (parseIp(a)) pings.push({ address: a, at: l.at });
        break;
      case "ping_group":
        for (const a of args.slice(1)) if (parseIp(a)) pings.push({ address: a, at: l.at, group: args[0] });
        break;
      case "respawn":
        if ((args[1] ?? "").endsWith("/ipfail")) ipfail = true;
        else
          d.note(
            l.at,
            "unmapped",
            `respawn ${args.slice(1).join(" ")}: vigil does not supervise other programs; run it as a systemd unit`,
          );
        break;
      case "stonith":
      case "stonith_host":
        d.note(
          l.at,
          "secret",
          `${kw} (not copied: it may hold a password): write a fence command for cluster.fence, run as PATH ARGS... PEER`,
        );
        break;
      default:
        if (REASON.has(kw)) d.note(l.at, "unmapped", `${kw}: ${REASON.get(kw)}`);
        else if (!HA_CF_DIRECTIVES.has(kw)) d.unknown(l.at, kw, "ha.cf");
    }
  }
  const taken = new Set<string>();
  const names = nodes.map((n) => safeName(n, taken, "node"));
  const shaped: ImportedNode[] = nodeAddresses(d, input, names, ucast);
  const timers = hbTimers(keepalive, deadtime);
  const config: Record<string, unknown> = clusterSections(d, {
    name: input.clusterName,
    keyFile: input.keyFile,
    heartbeat: timers,
    nodes: shaped,
  });
  const groups: Record<string, unknown>[] = [];
  const groupNames = new Set<string>();
  for (const l of input.haresources?.lines ?? []) {
    // Each line on its own draft: a line with nothing to run leaves its notes but no comments.
    const local = new Draft();
    const ctx = { failback, pings, ipfail, defaultInterface: input.defaultInterface, taken: groupNames };
    const g = mapGroupLine(local, l, groups.length, names, nodes, ctx);
    d.notes.push(...local.notes);
    if (!g) continue;
    d.comments.push(...local.comments);
    groups.push(g);
  }
  if (groups.length > 0) config.groups = groups;
  if (input.authkeys)
    d.note(
      input.authkeys.shape.at,
      "secret",
      `authkeys (${input.authkeys.shape.method}): the secret is not copied; vigil authenticates with HMAC-SHA256 under cluster.key_file, made by \`vigil keygen\`` +
        (input.authkeys.shape.method === "crc" ? " (crc authenticated nothing)" : ""),
    );
  const header = [
    `Imported by \`vigil import heartbeat\` from ${[input.haCf.file, input.haresources?.file, input.authkeys?.file].filter(Boolean).join(", ")}.`,
    "Deploy the same file on every node. Before the first start:",
    `  vigil keygen -o ${input.keyFile}    (authkeys is never copied: make a new key on one node,`,
    "                                          copy it to the others with scp -p)",
    "  vigil check -c vigil.yaml",
    'Comments starting with "≈" mark where vigil behaves differently from heartbeat; what could not be',
    "imported is listed at the end, each with its file and line.",
  ];
  return finish(d, config, header);
}

function hbTimers(keepalive: { ms: number } | undefined, deadtime: { ms: number } | undefined) {
  if (!keepalive && !deadtime) return undefined;
  const interval = keepalive?.ms ?? 2000;
  let lease = deadtime?.ms ?? 30_000;
  const raised = lease < 3 * interval;
  if (raised) lease = 3 * interval;
  return {
    interval: formatDuration(interval),
    lease: formatDuration(lease),
    why:
      `keepalive ${formatDuration(interval)}, deadtime ${formatDuration(deadtime?.ms ?? 30_000)}: heartbeat declared a node dead after deadtime; so does vigil after the lease` +
      (raised ? " (raised to 3 × interval, the least vigil accepts)" : "") +
      ". vigil's defaults (25ms / 150ms) fail over much faster on a quiet LAN; remove these two lines to use them",
  };
}

/** Addresses: --address first, else the ucast lines of an interface that lists one address per node,
 * taken in the order of the node lines. */
function nodeAddresses(
  d: Draft,
  input: HeartbeatInput,
  names: readonly string[],
  ucast: readonly { iface: string; ip: string; at: SourcePos }[],
): ImportedNode[] {
  const byIface = new Map<string, string[]>();
  for (const u of ucast) byIface.set(u.iface, [...(byIface.get(u.iface) ?? []), u.ip]);
  const complete = [...byIface].filter(([, ips]) => ips.length === names.length);
  for (const [iface, ips] of byIface)
    if (ips.length !== names.length && ucast[0])
      d.note(
        ucast.find((u) => u.iface === iface)?.at ?? ucast[0].at,
        "unmapped",
        `ucast on ${iface} lists ${ips.length} address(es) for ${names.length} nodes; not used (give --address NAME=IP)`,
      );
  return names.map((name, i) => {
    const given = input.addresses.get(name);
    if (given) return { name, address: given };
    const [first, ...more] = complete.map(([, ips]) => ips[i] as string);
    if (!first)
      throw new ImportError(
        "E_IMPORT_ADDRESS",
        `node ${name}: ${input.haCf.file} gives no address for it (bcast/mcast carry none, and no ucast interface lists one address per node); pass --address ${name}=IP`,
      );
    return {
      name,
      address: first,
      links: more,
      why: `≈ from the ucast lines (${complete.map(([f]) => f).join(", ")}), taken in the order of the node lines: check`,
    };
  });
}

interface GroupContext {
  failback?: { value: boolean; text: string; at: SourcePos };
  pings: readonly { address: string; at: SourcePos; group?: string }[];
  ipfail: boolean;
  defaultInterface: string;
  taken: Set<string>;
}

/** One haresources line: `NODE RESOURCE...` as a group preferring NODE. */
function mapGroupLine(
  d: Draft,
  line: Line,
  gi: number,
  names: readonly string[],
  rawNodes: readonly string[],
  ctx: GroupContext,
): Record<string, unknown> | undefined {
  const at = (...rest: (string | number)[]): KeyPath => ["groups", gi, ...rest];
  const [owner, ...words] = line.words as [string, ...string[]];
  const preferred = names[rawNodes.indexOf(owner)] as string;
  const resources: Record<string, unknown>[] = [];
  for (const w of words) {
    const r = mapResource(d, w, line.at, at("resources", resources.length), ctx.defaultInterface);
    if (r) resources.push(r);
  }
  // Named after the service it runs (the first init script, else the first heartbeat script), else
  // ldirectord's if it ran one, else its first address.
  const scripts = resources.filter((r) => r.type === "exec").map((r) => String(r.path));
  const service = scripts.find((p) => p.startsWith("/etc/init.d/")) ?? scripts[0];
  const vip = resources.find((r) => r.type === "vip");
  const label =
    service?.slice(service.lastIndexOf("/") + 1) ??
    (words.some((w) => w.startsWith("ldirectord")) ? "ldirectord" : undefined) ??
    (vip ? `vip-${String(vip.address).split("/")[0]}` : undefined);
  if (resources.length === 0) {
    d.note(line.at, "unmapped", `the haresources line of ${owner} has no resource vigil can run; no group`);
    return undefined;
  }
  const g: Record<string, unknown> = {
    name: safeName(label ?? `group-${gi + 1}`, ctx.taken, `group-${gi + 1}`),
    prefer: [preferred, ...names.filter((n) => n !== preferred)],
    failback: ctx.failback?.value ?? true,
  };
  if (!ctx.failback)
    d.approx(at("failback"), "ha.cf has no auto_failback; heartbeat's default (legacy) failed back like on");
  else if (ctx.failback.text.includes("legacy"))
    d.approx(at("failback"), "auto_failback legacy behaved as off once every node ran a newer heartbeat");
  else d.hint(at("failback"), `from ${ctx.failback.text}`);
  if (ctx.pings.length > 0) {
    g.track = dedupe(ctx.pings.map((p) => ({ type: "ping", address: p.address })));
    if (ctx.pings.some((p) => p.group))
      d.approx(at("track"), "ping_group needed any one of its addresses; as tracks, every one must answer");
    if (ctx.ipfail)
      d.approx(
        at("track"),
        "ping nodes with ipfail: heartbeat moved resources to the node that reached more ping nodes; here a node that cannot reach one is not eligible",
      );
    else
      d.approx(
        at("track"),
        "CHECK THIS: without ipfail (respawn ... ipfail) heartbeat only watched its ping nodes; as tracks they move the group away from a node that cannot reach them",
      );
  }
  g.resources = resources;
  return g;
}

function dedupe(items: Record<string, unknown>[]): Record<string, unknown>[] {
  const seen = new Set<string>();
  return items.filter((i) => {
    const k = JSON.stringify(i);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** One haresources word as a vigil resource. */
function mapResource(
  d: Draft,
  word: string,
  at: SourcePos,
  path: KeyPath,
  iface: string,
): Record<string, unknown> | undefined {
  const sep = word.indexOf("::");
  const name = sep < 0 ? word : word.slice(0, sep);
  const rest = sep < 0 ? "" : word.slice(sep + 2);
  if (sep < 0 && parseIp(word.split("/")[0] as string)) return ipResource(d, word, at, path, iface);
  if (name === "IPaddr" || name === "IPaddr2" || name === "IPv6addr") return ipResource(d, rest, at, path, iface);
  const args = rest === "" ? [] : rest.split("::");
  if (name === "Filesystem") {
    const [device, directory, fstype, options] = args;
    if (!device || !directory) {
      d.note(at, "unmapped", `${word}: Filesystem needs DEVICE::DIRECTORY[::FSTYPE[::OPTIONS]]`);
      return undefined;
    }
    const params: Record<string, string> = { device, directory };
    if (fstype) params.fstype = fstype;
    if (options) params.options = options;
    d.hint(path, "the OCF agent heartbeat's Filesystem script wrapped");
    return { type: "ocf", agent: "heartbeat/Filesystem", params };
  }
  if (name === "ldirectord") {
    d.note(
      at,
      "unmapped",
      `${word}: vigil balances itself: run \`vigil import ldirectord ${args[0] ?? "/etc/ha.d/ldirectord.cf"}\` and add its virtual_servers to this file`,
    );
    return undefined;
  }
  if (!/^[A-Za-z0-9_.@+-]+$/.test(name)) {
    d.note(at, "unmapped", `${word}: not a resource script name`);
    return undefined;
  }
  const r: Record<string, unknown> = {
    type: "exec",
    path: RESOURCE_D.has(name) ? `/etc/ha.d/resource.d/${name}` : `/etc/init.d/${name}`,
  };
  if (args.length > 0) {
    r.args = args;
    r.convention = "heartbeat";
  }
  if (!RESOURCE_D.has(name))
    d.approx(path, `heartbeat looked for ${name} in /etc/ha.d/resource.d, then /etc/init.d`, at);
  return r;
}

/** `IP[/PREFIX[/IFACE[/BROADCAST]]]` as a vip. */
function ipResource(
  d: Draft,
  spec: string,
  at: SourcePos,
  path: KeyPath,
  iface: string,
): Record<string, unknown> | undefined {
  const v6 = spec.includes(":");
  const parts = spec.split("/");
  const ip = parseIp(parts[0] ?? "");
  if (!ip) {
    d.note(at, "unmapped", `${spec}: not an IP address`);
    return undefined;
  }
  const prefix = parts[1] && /^\d+$/.test(parts[1]) ? Number(parts[1]) : undefined;
  const full = ip.family === 4 ? 32 : 128;
  const r: Record<string, unknown> = {
    type: "vip",
    address: `${ip.text}/${prefix ?? full}`,
    interface: parts[2] || iface,
  };
  const approx: string[] = [];
  if (prefix === undefined)
    approx.push(
      `heartbeat took the prefix from the matching route; /${full} answers the same, write the real one if routes depend on it`,
    );
  if (!parts[2]) approx.push(`heartbeat found the interface from the routing table; ${iface} assumed`);
  if (parts[3]) approx.push(`broadcast ${parts[3]} dropped`);
  if (approx.length > 0) d.approx(path, approx.join("; "), at);
  if (v6 && prefix === undefined) r.address = `${ip.text}/128`;
  return r;
}
