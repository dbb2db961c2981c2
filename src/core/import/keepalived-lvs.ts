// keepalived virtual_server blocks as vigil virtual servers. Each node usually repeats the same
// blocks; the first node's are used and differing copies are listed.
import { formatDuration } from "../config/duration.js";
import type { KeyPath } from "../config/issues.js";
import { parseIp } from "../net/address.js";
import { Draft, safeName, secondsToMs, wholeNumber } from "./draft.js";
import { type CheckDefaults, isChecker, mapChecker, type MappedCheck } from "./keepalived-checks.js";
import type { KaStmt } from "./keepalived-syntax.js";
import { lvsMethod, mapForwarding, mapScheduler } from "./lvs.js";
import type { SourcePos } from "./types.js";

const VS_REASONS: Record<string, string> = {
  persistence_granularity: "vigil keeps persistence per client address",
  sorry_server_inhibit: "vigil's sorry server takes connections only while no real server is up",
  sorry_server_lvs_method: "the sorry server is reached through the proxy like the real servers",
  alpha: "vigil's first check decides at once whether a server is up",
  omega: "no equivalent",
  quorum: "no quorum of real servers: the virtual server serves while any is up, the sorry server otherwise",
  quorum_up: "no quorum of real servers",
  quorum_down: "no quorum of real servers",
  hysteresis: "no quorum of real servers",
  ha_suspend: "vigil checks on every node, so a new owner knows at once which servers are up",
  ops: "one-packet scheduling is for UDP; vigil proxies TCP",
  one_packet_scheduling: "one-packet scheduling is for UDP; vigil proxies TCP",
  smtp_alert: "vigil sends no mail",
  ip_family: "the family follows the addresses",
  notify_up: "no per-server scripts; vigil logs every transition and exports it in /metrics",
  notify_down: "no per-server scripts; vigil logs every transition and exports it in /metrics",
  uthreshold: "no per-server connection limit (max_connections limits the virtual server)",
  lthreshold: "no per-server connection limit",
  delay_before_retry: "",
  warmup: "vigil spreads first checks over the interval",
};

/** Maps every node's virtual_server blocks, in node order. */
export function mapVirtualServers(
  d: Draft,
  perNode: readonly { node: string; stmts: readonly KaStmt[] }[],
): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  const seen = new Map<string, { json: string; at: SourcePos; node: string }>();
  const taken = new Set<string>();
  for (const { node, stmts } of perNode)
    for (const s of stmts) {
      const key = s.args.join(" ");
      const probe = new Draft();
      const mapped = mapOne(probe, s, out.length, new Set(taken));
      const first = seen.get(key);
      if (first) {
        if (mapped && JSON.stringify({ ...mapped, name: undefined }) !== first.json)
          d.note(
            s.at,
            "unmapped",
            `virtual_server ${key} on ${node} differs from ${first.node}'s (${first.at.file}:${first.at.line}); ${first.node}'s is used`,
          );
        continue;
      }
      // Mapped on its own draft: a virtual server that is dropped leaves its notes but no comments.
      const local = new Draft();
      const vs = mapOne(local, s, out.length, taken);
      d.notes.push(...local.notes);
      if (!vs) continue;
      d.comments.push(...local.comments);
      seen.set(key, { json: JSON.stringify({ ...vs, name: undefined }), at: s.at, node });
      out.push(vs);
    }
  return out;
}

function endpoint(ip: string | undefined, port: string | undefined): string | undefined {
  const parsed = ip === undefined ? undefined : parseIp(ip);
  const p = wholeNumber(port);
  if (!parsed || p === undefined || p < 1 || p > 65535) return undefined;
  return parsed.family === 6 ? `[${parsed.text}]:${p}` : `${parsed.text}:${p}`;
}

function mapOne(d: Draft, stmt: KaStmt, vi: number, taken: Set<string>): Record<string, unknown> | undefined {
  const [ip, port] = stmt.args;
  if (ip === "fwmark" || ip === "group") {
    d.note(
      stmt.at,
      "unmapped",
      `virtual_server ${stmt.args.join(" ")}: firewall-mark and group virtual servers are not imported; write one virtual server per address and port`,
    );
    return undefined;
  }
  const listen = endpoint(ip, port);
  if (!listen) {
    d.note(stmt.at, "unmapped", `virtual_server ${stmt.args.join(" ")}: expected an address and a port`);
    return undefined;
  }
  const path: KeyPath = ["virtual_servers", vi];
  const at = (...rest: (string | number)[]): KeyPath => [...path, ...rest];
  const vs: Record<string, unknown> = {
    name: safeName(`vs-${parseIp(ip as string)?.text ?? ip}-${port}`, taken, "vs"),
    listen,
  };
  const defaults: CheckDefaults = { delayLoopMs: 60_000 };
  const realServers: KaStmt[] = [];
  let method = "NAT";
  let methodAt = stmt.at;
  let udp: SourcePos | undefined;
  for (const s of stmt.block ?? []) {
    const a = s.args[0];
    switch (s.keyword) {
      case "delay_loop":
        defaults.delayLoopMs = secondsToMs(a) || 60_000;
        break;
      case "lb_algo":
      case "lvs_sched":
        if (a) mapScheduler(d, a, vs, path, s.at);
        break;
      case "lb_kind":
      case "lvs_method":
        method = a ?? "NAT";
        methodAt = s.at;
        break;
      case "persistence_timeout":
        vs.persistence = formatDuration(secondsToMs(a ?? "360") ?? 360_000);
        break;
      case "protocol":
        if (a?.toUpperCase() === "UDP") udp = s.at;
        else if (a?.toUpperCase() !== "TCP") {
          d.note(
            s.at,
            "unmapped",
            `virtual_server ${stmt.args.join(" ")}: protocol ${a ?? ""}: vigil balances TCP and UDP only; not imported`,
          );
          return undefined;
        }
        break;
      case "sorry_server": {
        const e = endpoint(a, s.args[1]);
        if (e) vs.sorry_server = e;
        else d.note(s.at, "unmapped", `sorry_server ${s.args.join(" ")}: expected an address and a port`);
        break;
      }
      case "virtualhost":
        defaults.host = a;
        break;
      case "connect_timeout":
        defaults.connectTimeoutMs = secondsToMs(a);
        break;
      case "retry":
      case "nb_get_retry":
        defaults.retry = wholeNumber(a);
        break;
      case "delay_before_retry":
        defaults.delayBeforeRetry = a;
        break;
      case "inhibit_on_failure":
        vs.quiescent = true;
        break;
      case "real_server":
        realServers.push(s);
        break;
      default: {
        const why = VS_REASONS[s.keyword];
        if (why) d.note(s.at, "unmapped", `${s.keyword}: ${why}`);
        else d.unknown(s.at, s.keyword, `virtual_server ${stmt.args.join(" ")}`);
      }
    }
  }
  const lvs = lvsMethod(method);
  if (lvs) mapForwarding(d, lvs, vs, at("listen"), methodAt);
  else d.note(methodAt, "unmapped", `forwarding method "${method}" is not NAT, DR or TUN; the proxy is used`);
  const servers: Record<string, unknown>[] = [];
  const checks: { mapped: MappedCheck; at: SourcePos }[] = [];
  let inhibited = 0;
  for (const rs of realServers) {
    const address = endpoint(rs.args[0], rs.args[1]);
    if (!address) {
      d.note(rs.at, "unmapped", `real_server ${rs.args.join(" ")}: expected an address and a port`);
      continue;
    }
    const server: Record<string, unknown> = { address };
    let checker: KaStmt | undefined;
    let rsDefaults = defaults;
    for (const s of rs.block ?? []) {
      if (s.keyword === "weight") server.weight = wholeNumber(s.args[0]) ?? 1;
      else if (s.keyword === "inhibit_on_failure") inhibited++;
      else if (isChecker(s.keyword)) {
        if (checker)
          d.note(
            s.at,
            "unmapped",
            `a further checker (${s.keyword}) on real_server ${rs.args.join(" ")}: vigil runs one check per virtual server`,
          );
        else checker = s;
      } else if (s.keyword === "delay_loop")
        rsDefaults = { ...rsDefaults, delayLoopMs: secondsToMs(s.args[0]) || rsDefaults.delayLoopMs };
      else if (s.keyword === "connect_timeout")
        rsDefaults = { ...rsDefaults, connectTimeoutMs: secondsToMs(s.args[0]) };
      else if (s.keyword === "retry" || s.keyword === "nb_get_retry")
        rsDefaults = { ...rsDefaults, retry: wholeNumber(s.args[0]) };
      else if (s.keyword === "virtualhost") rsDefaults = { ...rsDefaults, host: s.args[0] };
      else if (VS_REASONS[s.keyword] !== undefined)
        d.note(
          s.at,
          "unmapped",
          `real_server ${s.keyword}: ${VS_REASONS[s.keyword] || "vigil retries at the check interval"}`,
        );
      else d.unknown(s.at, s.keyword, `real_server ${rs.args.join(" ")}`);
    }
    checks.push({
      mapped: mapChecker(checker, rs.args[1] ?? "", rsDefaults, checker?.at ?? rs.at),
      at: checker?.at ?? rs.at,
    });
    servers.push(server);
  }
  if (servers.length === 0) {
    d.note(stmt.at, "unmapped", `virtual_server ${stmt.args.join(" ")} has no real server; not imported`);
    return undefined;
  }
  vs.real_servers = servers;
  if (inhibited > 0 && !vs.quiescent) {
    vs.quiescent = true;
    if (inhibited < servers.length)
      d.approx(
        at("quiescent"),
        `only ${inhibited} of ${servers.length} real servers had inhibit_on_failure; vigil sets it for the whole virtual server`,
      );
  }
  const first = checks[0] as { mapped: MappedCheck; at: SourcePos };
  if (udp) {
    if (vs.forward !== "nat" || first.mapped.check.type !== "exec") {
      d.note(
        udp,
        "unmapped",
        `virtual_server ${stmt.args.join(" ")}: UDP is balanced only with forward: nat (LVS NAT) and an exec check (MISC_CHECK); not imported`,
      );
      return undefined;
    }
    vs.protocol = "udp";
  }
  vs.check = first.mapped.check;
  for (const c of first.mapped.comments) d.approx(c.key ? at("check", c.key) : at("check"), c.text, c.at);
  for (const n of first.mapped.notes) d.note(n.at, "unmapped", n.text);
  for (const other of checks.slice(1))
    if (JSON.stringify(other.mapped.check) !== JSON.stringify(first.mapped.check))
      d.note(
        other.at,
        "unmapped",
        `this real server's check differs from the first one's; vigil runs one check per virtual server (the first is used)`,
      );
  return vs;
}
