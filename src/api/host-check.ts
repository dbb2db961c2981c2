// The API's Host check, against DNS rebinding: a page on an attacker's domain whose name is re-pointed at
// 127.0.0.1 (or at a node) can make the operator's browser send it requests, but the browser then says
// the attacker's name in Host. The API answers only to its listen address, loopback names when it
// listens on loopback, any IP literal when it listens on every address (an IP cannot be rebound), and
// the names in api.allowed_hosts. Ports are not compared. Pure: no I/O.
import { parseIp, type Ip } from "../core/net/address.js";

/** The host name of a Host header value (lower case, no port, no brackets, no trailing dot), or
 * undefined when the value is not a host name, an IPv4 address or a bracketed IPv6 address. */
export function hostName(header: string): string | undefined {
  const v6 = /^\[([0-9A-Fa-f:.]+)\](?::\d{1,5})?$/.exec(header);
  if (v6) return parseIp(v6[1] ?? "")?.text;
  const m = /^([A-Za-z0-9.-]{1,253})(?::\d{1,5})?$/.exec(header);
  if (!m) return undefined;
  const name = (m[1] ?? "").toLowerCase().replace(/\.$/, "");
  return name === "" ? undefined : name;
}

function isLoopback(ip: Ip): boolean {
  return ip.family === 4 ? ip.text.startsWith("127.") : ip.text === "::1";
}

function isWildcard(ip: Ip): boolean {
  return ip.text === "0.0.0.0" || ip.text === "::";
}

/** Whether a request with this Host header may be served by an API listening on `listen`. A missing
 * Host is allowed (HTTP/1.0 health checkers omit it; browsers always send it). */
export function hostAllowed(header: string | undefined, listen: Ip, allowedHosts: readonly string[]): boolean {
  if (header === undefined) return true;
  const name = hostName(header);
  if (name === undefined) return false;
  const ip = parseIp(name);
  if (ip && ip.text === listen.text) return true;
  if (ip && isWildcard(listen)) return true;
  const local = isLoopback(listen) || isWildcard(listen);
  if (local && (name === "localhost" || name.endsWith(".localhost") || (ip !== undefined && isLoopback(ip))))
    return true;
  return allowedHosts.some((a) => a.toLowerCase().replace(/\.$/, "") === name);
}
