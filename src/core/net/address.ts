// Pure parsing of the address forms a vigil config uses: bare IPs, IP:port endpoints and CIDR prefixes.

/** An IP address in canonical text form with its family. */
export interface Ip {
  family: 4 | 6;
  text: string;
}

/** An IP with a port, as used by `listen`, real servers and node addresses that carry a port. */
export interface Endpoint {
  ip: Ip;
  port: number;
}

/** An address with a prefix length, as a VIP is written (`10.77.0.100/24`). */
export interface Cidr {
  ip: Ip;
  prefix: number;
}

/** Parses an IPv4 dotted quad or an IPv6 address; undefined when it is neither. */
export function parseIp(text: string): Ip | undefined {
  if (isIPv4(text)) return { family: 4, text };
  if (isIPv6(text)) return { family: 6, text: text.toLowerCase() };
  return undefined;
}

function isIPv4(text: string): boolean {
  const parts = text.split(".");
  return parts.length === 4 && parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255);
}

function isIPv6(text: string): boolean {
  if (!/^[0-9a-fA-F:.]+$/.test(text) || text.length < 2) return false;
  const halves = text.split("::");
  if (halves.length > 2) return false;
  const groups = (h: string): string[] | undefined => {
    if (h === "") return [];
    const gs = h.split(":");
    return gs.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g)) ? gs : undefined;
  };
  let tail = halves[halves.length - 1] ?? "";
  let extra = 0;
  const lastColon = tail.lastIndexOf(":");
  const lastPart = tail.slice(lastColon + 1);
  if (lastPart.includes(".")) {
    if (!isIPv4(lastPart)) return false;
    tail = lastColon < 0 ? "" : tail.slice(0, lastColon);
    extra = 2;
  }
  const head = halves.length === 2 ? groups(halves[0] ?? "") : [];
  const rest = groups(tail);
  if (!head || !rest) return false;
  const count = head.length + rest.length + extra;
  return halves.length === 2 ? count < 8 : count === 8;
}

/** Parses `IP:PORT` or `[IPv6]:PORT`; undefined when malformed or the port is out of 1..65535. */
export function parseEndpoint(text: string): Endpoint | undefined {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:[\]]+):(\d+)$/.exec(text);
  if (!m) return undefined;
  const ip = parseIp(m[1] ?? "");
  const port = Number(m[2]);
  if (!ip || !Number.isInteger(port) || port < 1 || port > 65535) return undefined;
  return { ip, port };
}

/** Parses `IP/PREFIX`; the prefix must fit the family (0..32 or 0..128). */
export function parseCidr(text: string): Cidr | undefined {
  const slash = text.lastIndexOf("/");
  if (slash < 0) return undefined;
  const ip = parseIp(text.slice(0, slash));
  const prefixText = text.slice(slash + 1);
  if (!ip || !/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  if (prefix > (ip.family === 4 ? 32 : 128)) return undefined;
  return { ip, prefix };
}

/** Parses a node address: a bare IP (the cluster port applies) or an `IP:PORT` endpoint. */
export function parseNodeAddress(text: string, defaultPort: number): Endpoint | undefined {
  const ip = parseIp(text);
  if (ip) return { ip, port: defaultPort };
  return parseEndpoint(text);
}

/** Formats an endpoint back to text, bracketing IPv6. */
export function formatEndpoint(e: Endpoint): string {
  return e.ip.family === 6 ? `[${e.ip.text}]:${e.port}` : `${e.ip.text}:${e.port}`;
}
