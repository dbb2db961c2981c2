// Unsolicited IPv6 neighbour advertisements (RFC 4861 §7.2.6) for a VIP that just moved here: the IPv6
// counterpart of a gratuitous ARP. The kernel sends none for an address added with `nodad` (its
// ndisc_notify advertisement goes out only when DAD completes on a tentative address, and a `nodad`
// address is never tentative), and a client whose neighbour entry is REACHABLE takes a new link-layer
// address only from an advertisement with the Override flag. Node has no raw sockets, so a few lines of
// Perl (perl-base is always installed on Debian and Ubuntu) send it: ICMPv6 type 136 with the Override
// flag (and the Router flag when the interface forwards, as the kernel sets it), target = the VIP, a target link-layer address option with the interface's MAC, from the VIP to
// all nodes (ff02::1) with hop limit 255; the kernel fills in the checksum. The socket is bound to the
// VIP, which fails once the address is gone, so a former owner can never announce a stale address.
import { readFileSync } from "node:fs";
import { describeResult, runCommand } from "../run-command.js";
import type { OpResult } from "./resource-agent.js";

/** The sender: perl -e SENDER -- ADDRESS IFINDEX MAC ROUTER(0|1). Exits non-zero with one line on any failure. */
const SENDER = `
use strict; use Socket qw(:all);
my ($ip, $ifindex, $mac, $router) = @ARGV;
my $addr = inet_pton(AF_INET6, $ip) or die "bad IPv6 address $ip\\n";
socket(my $s, AF_INET6, SOCK_RAW, IPPROTO_ICMPV6) or die "socket: $!\\n";
bind($s, pack_sockaddr_in6(0, $addr)) or die "bind to $ip: $!\\n";
setsockopt($s, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, pack("i", 255)) or die "hop limit: $!\\n";
setsockopt($s, IPPROTO_IPV6, IPV6_MULTICAST_IF, pack("i", $ifindex)) or die "interface $ifindex: $!\\n";
(my $hex = $mac) =~ s/://g;
my $flags = 0x20000000 | ($router ? 0x80000000 : 0);
my $na = pack("CCnN", 136, 0, 0, $flags) . $addr . pack("CCH12", 2, 1, $hex);
send($s, $na, 0, pack_sockaddr_in6(0, inet_pton(AF_INET6, "ff02::1"), $ifindex)) or die "send: $!\\n";
`;

/** How long one send may take (perl starts in about 10ms). */
const SEND_TIMEOUT_MS = 2000;

/** Sends one unsolicited neighbour advertisement with the Override flag for `ip` (no prefix) on `iface`. */
export async function sendUnsolicitedNa(ip: string, iface: string): Promise<OpResult> {
  const what = `unsolicited neighbour advertisement for ${ip} on ${iface}`;
  let ifindex: string;
  let mac: string;
  let router: string;
  try {
    ifindex = readFileSync(`/sys/class/net/${iface}/ifindex`, "utf8").trim();
    mac = readFileSync(`/sys/class/net/${iface}/address`, "utf8").trim();
    router = readFileSync(`/proc/sys/net/ipv6/conf/${iface}/forwarding`, "utf8").trim() === "1" ? "1" : "0";
  } catch (err) {
    return { ok: false, detail: `${what}: cannot read the interface: ${(err as Error).message}` };
  }
  if (!/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/i.test(mac))
    return { ok: true, detail: `${what}: not sent, ${iface} has no Ethernet address (${mac || "none"})` };
  const r = await runCommand("perl", ["-e", SENDER, "--", ip, ifindex, mac, router], { timeoutMs: SEND_TIMEOUT_MS });
  const ok = r.code === 0;
  return {
    ok,
    detail: `${what}: ${ok ? `sent (override${router === "1" ? ", router" : ""}, ${mac})` : `${describeResult(r)}: ${r.output.trim()}`}`,
    output: r.output.trim() || undefined,
  };
}
