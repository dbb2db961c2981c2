// `vigil import ldirectord`: ldirectord.cf (global `key=value` lines, then `virtual=` blocks of indented
// lines) as vigil virtual servers. ldirectord names no cluster nodes: they come from --address, or a
// single node is written for the user to complete. Secrets (passwd=, secret=) are never copied.
import { formatDuration } from "../config/duration.js";
import type { KeyPath } from "../config/issues.js";
import { parseIp } from "../net/address.js";
import { clusterSections, type ImportedNode } from "./cluster-shape.js";
import { Draft, finish, safeName, splitCommand, wholeNumber } from "./draft.js";
import { lvsMethod, mapForwarding, mapScheduler } from "./lvs.js";
import { ImportError, type ImportResult, type SourcePos } from "./types.js";

/** One `key=value` line; `indented` lines belong to the `virtual=` above them. */
interface Setting {
  key: string;
  value: string;
  indented: boolean;
  at: SourcePos;
}

/** What `vigil import ldirectord` was given. */
export interface LdirectordInput {
  file: string;
  text: string;
  /** The cluster's nodes (`--address NAME=IP`); none: one node to complete by hand. */
  addresses: ReadonlyMap<string, string>;
  clusterName: string;
  keyFile: string;
}

const SECRET_KEYS = new Set(["passwd", "secret", "login"]);
const GLOBAL_ONLY_REASONS: Record<string, string> = {
  autoreload: "vigil reloads on SIGHUP (systemctl reload vigil)",
  callback: "no reload callback",
  logfile: "vigil logs to stderr (the journal under systemd)",
  emailalert: "vigil sends no mail; it logs every real server transition and exports it in /metrics",
  emailalertfreq: "vigil sends no mail",
  emailalertstatus: "vigil sends no mail",
  emailalertfrom: "vigil sends no mail",
  smtp: "vigil sends no mail",
  execute: "vigil runs no extra ldirectord configurations",
  fork: "vigil's checks of one server run one after another, servers in parallel",
  supervised: "vigil runs under systemd",
  cleanstop: "vigil drains removed real servers and closes the listener when the group stops",
  maintenancedir: "take a real server out by setting its weight to 0 and reloading",
  readdquiescent: "a quiescent server comes back at its weight once its checks pass",
  monitorfile: "vigil logs every check transition",
  netmask: "only for firewall-mark and persistence netmasks, which vigil does not use",
};

/** Reads ldirectord.cf into settings; refuses a file that is not one. */
export function readLdirectord(text: string, file: string): Setting[] {
  if (text.includes("\0")) throw new ImportError("E_IMPORT_FORMAT", `${file} is a binary file`, { file, line: 1 });
  const out: Setting[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const at = { file, line: i + 1 };
    const body = raw.replace(/\s+#.*$/, "");
    if (body.trim() === "" || body.trim().startsWith("#")) return;
    const m = /^(\s*)([A-Za-z][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(body);
    if (!m || body.includes("{"))
      throw new ImportError(
        "E_IMPORT_FORMAT",
        `this is not an ldirectord.cf: a line must be KEY=VALUE (e.g. virtual=10.0.0.100:80), got "${body.trim().slice(0, 40)}"`,
        at,
      );
    out.push({
      key: (m[2] as string).toLowerCase(),
      value: unquote(m[3] as string),
      indented: (m[1] as string).length > 0,
      at,
    });
  });
  if (!out.some((s) => s.key === "virtual"))
    throw new ImportError(
      "E_IMPORT_FORMAT",
      "this is not an ldirectord.cf: it has no virtual= line",
      out[0]?.at ?? { file, line: 1 },
    );
  return out;
}

function unquote(v: string): string {
  return /^"(.*)"$/.test(v) ? v.slice(1, -1) : v;
}

/** Imports ldirectord.cf. */
export function importLdirectord(input: LdirectordInput): ImportResult {
  const d = new Draft();
  const settings = readLdirectord(input.text, input.file);
  const globals = new Map<string, Setting>();
  const blocks: { head: Setting; body: Setting[] }[] = [];
  for (const s of settings) {
    if (s.key === "virtual") blocks.push({ head: s, body: [] });
    else if (s.indented && blocks.length > 0) blocks[blocks.length - 1]?.body.push(s);
    else globals.set(s.key, s);
  }
  for (const s of globals.values()) {
    if (SECRET_KEYS.has(s.key)) d.note(s.at, "secret", `${s.key}: not copied (a secret)`);
    else if (GLOBAL_ONLY_REASONS[s.key]) d.note(s.at, "unmapped", `${s.key}: ${GLOBAL_ONLY_REASONS[s.key]}`);
    else if (!VIRTUAL_KEYS.has(s.key)) d.unknown(s.at, s.key, "ldirectord.cf");
  }
  const servers: Record<string, unknown>[] = [];
  const taken = new Set<string>();
  for (const b of blocks) {
    const local = new Draft();
    const vs = mapVirtual(local, b.head, b.body, globals, servers.length, taken);
    d.notes.push(...local.notes);
    if (!vs) continue;
    d.comments.push(...local.comments);
    servers.push(vs);
  }
  const nodes: ImportedNode[] =
    input.addresses.size > 0
      ? [...input.addresses].map(([name, address]) => ({ name, address }))
      : [
          {
            name: "director",
            address: "127.0.0.1",
            why: "ldirectord.cf names no nodes: put this node's address here and add the others (--address NAME=IP)",
          },
        ];
  const config: Record<string, unknown> = clusterSections(d, {
    name: input.clusterName,
    keyFile: input.keyFile,
    nodes,
  });
  if (servers.length > 0) config.virtual_servers = servers;
  const header = [
    `Imported by \`vigil import ldirectord\` from ${input.file}.`,
    "ldirectord balanced; heartbeat (or keepalived) moved the VIP. Add the VIP as a group (`vigil import heartbeat`",
    "turns haresources into groups): a virtual server listening on a group's VIP is served by its owner only.",
    `Before the first start: vigil keygen -o ${input.keyFile}, then vigil check -c vigil.yaml.`,
    'Comments starting with "≈" mark where vigil behaves differently from ldirectord; what could not be',
    "imported is listed at the end, each with its file and line.",
  ];
  return finish(d, config, header);
}

const VIRTUAL_KEYS = new Set([
  "real",
  "fallback",
  "service",
  "checktype",
  "checkcommand",
  "checkport",
  "request",
  "receive",
  "httpmethod",
  "virtualhost",
  "scheduler",
  "persistent",
  "protocol",
  "checktimeout",
  "negotiatetimeout",
  "connecttimeout",
  "checkinterval",
  "failurecount",
  "quiescent",
  "login",
  "passwd",
  "database",
  "secret",
  "netmask",
  "emailalert",
  "emailalertfreq",
  "emailalertstatus",
  "monitorfile",
  "cleanstop",
]);
const SERVICE_BY_PORT: Record<number, string> = {
  80: "http",
  443: "https",
  21: "ftp",
  25: "smtp",
  3306: "mysql",
  5432: "pgsql",
  389: "ldap",
  53: "dns",
  110: "pop",
  143: "imap",
  119: "nntp",
};

/** `ip:port` / `[v6]:port` (also `ip->ip:port` ranges for real=) to endpoints; undefined when names are used. */
function endpoints(text: string): string[] | undefined {
  const m = /^\[?([0-9A-Fa-f:.]+?)\]?(?:->\[?([0-9.]+)\]?)?:(\d+)$/.exec(text);
  if (!m) return undefined;
  const first = parseIp(m[1] as string);
  const port = Number(m[3]);
  if (!first || port < 1 || port > 65535) return undefined;
  const fmt = (ip: string) => (first.family === 6 ? `[${ip}]:${port}` : `${ip}:${port}`);
  if (!m[2]) return [fmt(first.text)];
  const last = parseIp(m[2]);
  if (!last || first.family !== 4) return undefined;
  const [a, b] = [first.text, last.text].map((t) => t.split(".").reduce((n, o) => n * 256 + Number(o), 0)) as [
    number,
    number,
  ];
  if (b < a || b - a > 255) return undefined;
  const out: string[] = [];
  for (let n = a; n <= b; n++) out.push(fmt([24, 16, 8, 0].map((s) => (n >>> s) & 255).join(".")));
  return out;
}

function mapVirtual(
  d: Draft,
  head: Setting,
  body: readonly Setting[],
  globals: ReadonlyMap<string, Setting>,
  vi: number,
  taken: Set<string>,
): Record<string, unknown> | undefined {
  const listen = endpoints(head.value);
  if (!listen || listen.length !== 1) {
    d.note(
      head.at,
      "unmapped",
      `virtual=${head.value}: only IP:PORT virtual services are imported (not firewall marks or host names)`,
    );
    return undefined;
  }
  const path: KeyPath = ["virtual_servers", vi];
  const at = (...rest: (string | number)[]): KeyPath => [...path, ...rest];
  const get = (k: string) => body.find((s) => s.key === k) ?? globals.get(k);
  const port = Number((listen[0] as string).split(":").pop());
  const vs: Record<string, unknown> = {
    name: safeName(`vs-${head.value.replace(/[[\]]/g, "").replace(/:(\d+)$/, "-$1")}`, taken, "vs"),
    listen: listen[0],
  };
  const protocol = get("protocol")?.value.toLowerCase() ?? "tcp";
  if (protocol !== "tcp") {
    d.note(
      get("protocol")?.at ?? head.at,
      "unmapped",
      `virtual=${head.value}: protocol ${protocol} is not imported (vigil's checks and proxy are TCP; kernel UDP needs an exec check)`,
    );
    return undefined;
  }
  const scheduler = get("scheduler");
  if (scheduler) mapScheduler(d, scheduler.value, vs, path, scheduler.at);
  const persistent = get("persistent");
  if (persistent) {
    const n = wholeNumber(persistent.value);
    if (n !== undefined && n > 0) vs.persistence = formatDuration(n * 1000);
  }
  const reals: Record<string, unknown>[] = [];
  const methods = new Map<string, SourcePos>();
  let perRealCheck: Setting | undefined;
  for (const s of body.filter((x) => x.key === "real")) {
    const words = splitCommand(s.value.replace(/,/g, " "));
    const addrs = endpoints(words[0] ?? "");
    if (!addrs) {
      d.note(s.at, "unmapped", `real=${s.value}: expected IP:PORT (host and service names are not resolved)`);
      continue;
    }
    const method = words[1] ?? "gate";
    if (!methods.has(method)) methods.set(method, s.at);
    const weight = wholeNumber(words[2]);
    if (words.length > 3) perRealCheck ??= s;
    for (const a of addrs) reals.push(weight === undefined || weight === 1 ? { address: a } : { address: a, weight });
  }
  if (reals.length === 0) {
    d.note(head.at, "unmapped", `virtual=${head.value} has no real server vigil can use; not imported`);
    return undefined;
  }
  const fallback = get("fallback");
  if (fallback) {
    const e = endpoints(splitCommand(fallback.value)[0] ?? "");
    if (e?.length === 1) vs.sorry_server = e[0];
    else d.note(fallback.at, "unmapped", `fallback=${fallback.value}: expected IP:PORT`);
  }
  const [method, methodAt] = [...methods][0] as [string, SourcePos];
  const lvs = lvsMethod(method);
  if (lvs) mapForwarding(d, lvs, vs, at("listen"), methodAt);
  else d.note(methodAt, "unmapped", `forwarding method "${method}" is not gate, masq or ipip; the proxy is used`);
  if (methods.size > 1)
    d.note(
      head.at,
      "unmapped",
      `virtual=${head.value} mixes forwarding methods (${[...methods.keys()].join(", ")}); vigil uses one per virtual server (${method})`,
    );
  if (perRealCheck)
    d.note(
      perRealCheck.at,
      "unmapped",
      "a per-server request/receive: vigil checks every real server of a virtual server alike (the virtual's request/receive are used)",
    );
  vs.real_servers = reals;
  const quiescent = get("quiescent");
  if (quiescent) vs.quiescent = quiescent.value.toLowerCase() === "yes";
  vs.check = mapCheck(d, get, port, at("check"));
  for (const s of body) {
    if (SECRET_KEYS.has(s.key))
      d.note(s.at, "secret", `${s.key}: not copied (a secret); vigil's check does not log in`);
    else if (s.key === "database") d.note(s.at, "unmapped", "database: vigil's check does not log in to a database");
    else if (GLOBAL_ONLY_REASONS[s.key]) d.note(s.at, "unmapped", `${s.key}: ${GLOBAL_ONLY_REASONS[s.key]}`);
    else if (!VIRTUAL_KEYS.has(s.key)) d.unknown(s.at, s.key, `virtual=${head.value}`);
  }
  return vs;
}

function mapCheck(
  d: Draft,
  get: (k: string) => Setting | undefined,
  port: number,
  path: KeyPath,
): Record<string, unknown> {
  const type = (get("checktype")?.value ?? "negotiate").toLowerCase();
  const typeAt = get("checktype")?.at;
  const service = (get("service")?.value ?? SERVICE_BY_PORT[port] ?? "none").toLowerCase();
  const secs = (k: string) => {
    const s = get(k);
    return s && /^\d+$/.test(s.value) ? Number(s.value) * 1000 : undefined;
  };
  const interval = secs("checkinterval") ?? 10_000;
  const check: Record<string, unknown> = { type: "tcp" };
  const negotiate = type === "negotiate" || /^\d+$/.test(type);
  if (/^\d+$/.test(type))
    d.approx(
      path,
      `checktype ${type}: ldirectord negotiated every ${type}th check and connected otherwise; vigil negotiates every time`,
      typeAt,
    );
  if (negotiate && (service === "http" || service === "https")) {
    check.type = service;
    const request = get("request")?.value;
    if (request) check.path = request.startsWith("/") ? request : `/${request}`;
    const receive = get("receive")?.value;
    const method = get("httpmethod")?.value.toUpperCase();
    if (method === "HEAD") check.method = "HEAD";
    if (receive && method !== "HEAD") check.expect_body = receive;
    else if (receive)
      d.note(
        get("receive")?.at as SourcePos,
        "unmapped",
        "receive with httpmethod HEAD: a HEAD response has no body to match",
      );
    const host = get("virtualhost")?.value;
    if (host) check.host = host;
    if (service === "https") {
      check.tls_verify = false;
      d.approx([...path, "tls_verify"], "ldirectord did not verify the certificate; set true once it does");
    }
  } else if (negotiate && service !== "none") {
    d.approx(
      path,
      `negotiate for ${service} spoke the protocol; vigil checks a TCP connect (an exec check can speak it)`,
      typeAt ?? get("service")?.at,
    );
  } else if (type === "external" || type === "external-perl") {
    const words = splitCommand(get("checkcommand")?.value ?? "");
    if (words[0]?.startsWith("/")) {
      check.type = "exec";
      check.script = words[0];
      if (words.length > 1) check.args = words.slice(1);
      d.approx(
        path,
        "ldirectord called checkcommand VIP VPORT RIP RPORT; vigil calls SCRIPT ARGS... RIP RPORT",
        get("checkcommand")?.at,
      );
    } else
      d.note(
        typeAt as SourcePos,
        "unmapped",
        `checktype ${type}: checkcommand must be an absolute path; a TCP connect check is used`,
      );
  } else if (type === "off" || type === "on" || type === "ping") {
    d.approx(
      path,
      `checktype ${type}: ${type === "ping" ? "ldirectord pinged the server" : "ldirectord did not check the servers"}; vigil checks a TCP connect`,
      typeAt,
    );
  } else if (type !== "connect" && type !== "negotiate")
    d.note(typeAt as SourcePos, "unmapped", `checktype ${type} is unknown; a TCP connect check is used`);
  const checkport = wholeNumber(get("checkport")?.value);
  if (checkport !== undefined && check.type !== "exec") check.port = checkport;
  let timeout = (negotiate ? secs("negotiatetimeout") : secs("connecttimeout")) ?? secs("checktimeout") ?? 5000;
  if (timeout > interval) {
    d.approx(
      [...path, "timeout"],
      `the check timeout ${formatDuration(timeout)} was longer than checkinterval; vigil needs timeout <= interval`,
    );
    timeout = interval;
  }
  check.interval = formatDuration(interval);
  check.timeout = formatDuration(timeout);
  check.rise = 1;
  check.fall = Math.max(1, wholeNumber(get("failurecount")?.value) ?? 1);
  return check;
}
