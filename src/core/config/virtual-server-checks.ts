// Rules for virtual servers that span keys: which check keys fit which check type, which group gates
// serving, and timer sanity.
import { parseCidr, parseEndpoint } from "../net/address.js";
import type { ConfigIssue } from "./issues.js";
import type { GroupConfig, VirtualServerConfig } from "./schema.js";

const HTTP_KEYS = ["method", "path", "expect_status", "expect_body", "host"] as const;
const KEYS_BY_TYPE: Record<VirtualServerConfig["check"]["type"], readonly string[]> = {
  tcp: ["port"],
  http: ["port", ...HTTP_KEYS],
  https: ["port", ...HTTP_KEYS, "tls_verify"],
  exec: ["script", "args"],
  mariadb: ["port", "user", "password_file", "role"],
};
const OPTIONAL_CHECK_KEYS = [
  "port",
  ...HTTP_KEYS,
  "tls_verify",
  "script",
  "args",
  "user",
  "password_file",
  "role",
] as const;

/** The group whose owner serves `vs`: the `group` key, else the group holding a vip on the listen
 * address; undefined when every node serves it. */
export function servingGroup(
  vs: VirtualServerConfig,
  groups: readonly (GroupConfig | undefined)[],
): string | undefined {
  if (vs.group !== undefined) return vs.group;
  const listen = parseEndpoint(vs.listen);
  for (const g of groups) {
    for (const r of g?.resources ?? []) {
      if (r.type === "vip" && listen && parseCidr(r.address)?.ip.text === listen.ip.text) return g?.name;
    }
  }
  return undefined;
}

/** Problems of the virtual servers given the (possibly partly invalid) groups. */
export function checkVirtualServers(
  servers: readonly (VirtualServerConfig | undefined)[],
  groups: readonly (GroupConfig | undefined)[],
): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const groupNames = new Set(groups.flatMap((g) => (g ? [g.name] : [])));
  servers.forEach((v, i) => {
    if (!v) return;
    const at = (...rest: (string | number)[]) => ["virtual_servers", i, ...rest];
    const c = v.check;
    if (c.timeout > c.interval)
      issues.push({
        code: "E_TIMING",
        path: at("check", "timeout"),
        message: `check timeout ${c.timeout}ms exceeds its interval ${c.interval}ms`,
      });
    for (const key of OPTIONAL_CHECK_KEYS) {
      if (c[key] !== undefined && !KEYS_BY_TYPE[c.type].includes(key)) {
        issues.push({
          code: "E_CHECK",
          path: at("check", key),
          message: `${key} does not apply to ${c.type} checks (${c.type} checks take: ${KEYS_BY_TYPE[c.type].join(", ")})`,
        });
      }
    }
    if (c.method === "HEAD" && c.expect_body !== undefined)
      issues.push({
        code: "E_CHECK",
        path: at("check", "expect_body"),
        message: "a HEAD response has no body to match; use GET, or drop expect_body",
      });
    if (c.type === "exec" && c.script === undefined)
      issues.push({
        code: "E_CHECK",
        path: at("check"),
        message: "an exec check needs script: /path/to/script (called as SCRIPT ARGS... IP PORT)",
      });
    if (c.type === "mariadb" && (c.user === undefined || c.password_file === undefined))
      issues.push({
        code: "E_CHECK",
        path: at("check"),
        message: "a mariadb check needs user: NAME and password_file: /path/to/file (the account it logs in as)",
      });
    if (v.group !== undefined && !groups.includes(undefined) && !groupNames.has(v.group)) {
      issues.push({
        code: "E_REFERENCE",
        path: at("group"),
        message: `no group named "${v.group}" (groups: ${[...groupNames].join(", ") || "none"})`,
      });
    }
    issues.push(...checkForwarding(v, at));
    if (v.real_servers.every((r) => r.weight === 0))
      issues.push({
        code: "E_WEIGHT",
        path: at("real_servers"),
        message: "every real server has weight 0; at least one must take connections",
      });
  });
  return issues;
}

/** Schedulers the kernel (nftables) forwarding can run: chosen per new flow without userspace. */
export const KERNEL_SCHEDULERS: readonly string[] = ["rr", "wrr", "sh"];

/** Rules of `forward` and `protocol`: what kernel forwarding can and cannot do. */
function checkForwarding(
  v: VirtualServerConfig,
  at: (...rest: (string | number)[]) => (string | number)[],
): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  if (v.forward === "proxy") {
    if (v.protocol === "udp")
      issues.push({
        code: "E_VALUE",
        path: at("protocol"),
        message: "protocol udp needs forward: nat or fullnat (the userspace proxy balances TCP only)",
      });
    return issues;
  }
  if (!KERNEL_SCHEDULERS.includes(v.scheduler))
    issues.push({
      code: "E_VALUE",
      path: at("scheduler"),
      message: `forward: ${v.forward} schedules in the kernel with rr, wrr or sh; ${v.scheduler} needs forward: proxy`,
    });
  if (v.proxy_protocol !== "none")
    issues.push({
      code: "E_VALUE",
      path: at("proxy_protocol"),
      message: `the kernel cannot add a PROXY protocol header: use forward: proxy for proxy_protocol ${v.proxy_protocol}${v.forward === "fullnat" ? "" : " (forward: nat keeps the client address without it)"}`,
    });
  const listen = parseEndpoint(v.listen);
  v.real_servers.forEach((r, j) => {
    const ep = parseEndpoint(r.address);
    if (listen && ep && ep.ip.family !== listen.ip.family)
      issues.push({
        code: "E_VALUE",
        path: at("real_servers", j, "address"),
        message: `forward: ${v.forward} needs real servers of the listen address's family (IPv${listen.ip.family})`,
      });
  });
  const sorry = v.sorry_server ? parseEndpoint(v.sorry_server) : undefined;
  if (listen && sorry && sorry.ip.family !== listen.ip.family)
    issues.push({
      code: "E_VALUE",
      path: at("sorry_server"),
      message: `forward: ${v.forward} needs a sorry server of the listen address's family (IPv${listen.ip.family})`,
    });
  if (v.protocol === "udp" && v.check.type !== "exec" && v.check.port === undefined)
    issues.push({
      code: "E_CHECK",
      path: at("check"),
      message: `a ${v.check.type} check cannot probe a UDP service on its own port: use check type exec (e.g. a dig script), or check.port for a TCP port of the real server`,
    });
  return issues;
}
