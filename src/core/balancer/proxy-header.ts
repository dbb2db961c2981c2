// The PROXY protocol header (haproxy.org/download/2.6/doc/proxy-protocol.txt) that tells a real
// server the client's address: v1 is one text line, v2 a binary block. Pure: bytes out.

/** The two ends of the client's connection as the proxy saw them. */
export interface ConnectionEnds {
  sourceIp: string;
  sourcePort: number;
  destIp: string;
  destPort: number;
}

const V2_SIGNATURE = [0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a];

/** "::ffff:10.0.0.1" (an IPv4 client on a dual-stack socket) → "10.0.0.1". */
export function unmapIpv4(ip: string): string {
  return ip.toLowerCase().startsWith("::ffff:") && ip.includes(".") ? ip.slice(7) : ip;
}

function ipv4Bytes(ip: string): number[] | undefined {
  const parts = ip.split(".");
  if (parts.length !== 4) return undefined;
  const bytes = parts.map(Number);
  return bytes.every((b) => Number.isInteger(b) && b >= 0 && b <= 255) ? bytes : undefined;
}

function ipv6Bytes(ip: string): number[] | undefined {
  if (!ip.includes(":")) return undefined;
  const [head = "", tail] = ip.split("::");
  const words = (s: string): number[] => {
    if (s === "") return [];
    const out: number[] = [];
    for (const part of s.split(":")) {
      const v4 = part.includes(".") ? ipv4Bytes(part) : undefined;
      if (v4) out.push(((v4[0] ?? 0) << 8) | (v4[1] ?? 0), ((v4[2] ?? 0) << 8) | (v4[3] ?? 0));
      else out.push(parseInt(part, 16));
    }
    return out;
  };
  const h = words(head);
  const t = tail === undefined ? [] : words(tail);
  const all = tail === undefined ? h : [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t];
  if (all.length !== 8 || all.some((w) => !(w >= 0 && w <= 0xffff))) return undefined;
  return all.flatMap((w) => [w >> 8, w & 0xff]);
}

/** The v1 text line, e.g. "PROXY TCP4 10.0.0.5 10.0.0.100 51000 3306\r\n" ("PROXY UNKNOWN\r\n"
 * when the ends are of different families). */
export function proxyV1(ends: ConnectionEnds): string {
  const src = unmapIpv4(ends.sourceIp);
  const dst = unmapIpv4(ends.destIp);
  const family = ipv4Bytes(src) && ipv4Bytes(dst) ? "TCP4" : ipv6Bytes(src) && ipv6Bytes(dst) ? "TCP6" : undefined;
  if (!family) return "PROXY UNKNOWN\r\n";
  return `PROXY ${family} ${src} ${dst} ${ends.sourcePort} ${ends.destPort}\r\n`;
}

/** The v2 binary header (PROXY command over TCP; LOCAL with no address when the families differ). */
export function proxyV2(ends: ConnectionEnds): Uint8Array {
  const src = unmapIpv4(ends.sourceIp);
  const dst = unmapIpv4(ends.destIp);
  const port = (p: number) => [p >> 8, p & 0xff];
  let family: number;
  let body: number[];
  const s4 = ipv4Bytes(src);
  const d4 = ipv4Bytes(dst);
  const s6 = ipv6Bytes(src);
  const d6 = ipv6Bytes(dst);
  if (s4 && d4) [family, body] = [0x11, [...s4, ...d4, ...port(ends.sourcePort), ...port(ends.destPort)]];
  else if (s6 && d6) [family, body] = [0x21, [...s6, ...d6, ...port(ends.sourcePort), ...port(ends.destPort)]];
  else return Uint8Array.from([...V2_SIGNATURE, 0x20, 0x00, 0x00, 0x00]);
  return Uint8Array.from([...V2_SIGNATURE, 0x21, family, body.length >> 8, body.length & 0xff, ...body]);
}
