// The `nft` and `conntrack` programs, thin and failing closed: a transaction either applied entirely
// (nft exits 0) or the call rejects with what nft said; nothing is parsed here beyond JSON.
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { NftCommand } from "../core/balancer/kernel-ruleset.js";
import { runCommand } from "./run-command.js";

/** How long one nft or conntrack run may take before it is killed and counts as failed. */
const RUN_TIMEOUT_MS = 10_000;

/** Most output kept from a listing (bytes); a bigger one is cut and the call fails. */
const MAX_OUTPUT = 64 * 1024 * 1024;

/** A failed nft or conntrack run; `code` is stable for logs and tests. */
export class KernelCommandError extends Error {
  constructor(
    readonly code: "E_NFT" | "E_CONNTRACK",
    message: string,
  ) {
    super(message);
  }
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  error?: string;
}

/** Runs nft or conntrack through runCommand (the daemon's command helper), stdout kept apart. */
async function run(path: string, args: readonly string[]): Promise<Run> {
  const r = await runCommand(path, args, {
    timeoutMs: RUN_TIMEOUT_MS,
    graceMs: 0,
    maxOutput: MAX_OUTPUT,
    stderrApart: true,
    untilClosed: true,
  });
  const error =
    r.spawnError ??
    (r.timedOut ? `timed out after ${RUN_TIMEOUT_MS}ms` : undefined) ??
    (r.cut ? `its output passed ${MAX_OUTPUT} bytes` : undefined) ??
    (r.signal ? `killed by ${r.signal}` : undefined);
  return { code: error ? null : r.code, stdout: r.output, stderr: r.stderr ?? "", ...(error ? { error } : {}) };
}

function why(r: Run): string {
  return r.error ?? (r.stderr.trim().split("\n").filter(Boolean).slice(0, 3).join("; ") || `exit code ${r.code}`);
}

/** Applies `commands` as one nftables transaction (`nft -j -f FILE`): all or nothing. The JSON goes
 * through a file in a private directory: nft opens its input by name, and Node's stdin pipe is a
 * socket that /dev/stdin cannot open. */
export async function nftApply(commands: readonly NftCommand[]): Promise<void> {
  if (commands.length === 0) return;
  const dir = await mkdtemp(join(tmpdir(), "vigil-nft-"));
  try {
    const file = join(dir, "transaction.json");
    await writeFile(file, JSON.stringify({ nftables: commands }), { mode: 0o600 });
    const r = await run("nft", ["-j", "-f", file]);
    if (r.code !== 0) throw new KernelCommandError("E_NFT", `nft transaction failed: ${why(r)}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** `nft -j list ARGS…` as parsed JSON. */
export async function nftList(...args: string[]): Promise<unknown> {
  const r = await run("nft", ["-j", "list", ...args]);
  if (r.code !== 0) throw new KernelCommandError("E_NFT", `nft list ${args.join(" ")} failed: ${why(r)}`);
  try {
    return JSON.parse(r.stdout) as unknown;
  } catch {
    throw new KernelCommandError("E_NFT", `nft list ${args.join(" ")} gave no JSON`);
  }
}

/** Which flows of a virtual server `conntrack` holds. */
export interface FlowQuery {
  protocol: "tcp" | "udp";
  family: 4 | 6;
  vip: string;
  port: number;
}

/** Open flows of the virtual server by real server ("IP:PORT" of the reply's source; IPv6 in brackets):
 * established TCP connections, or UDP flows conntrack still holds. */
export async function conntrackFlows(q: FlowQuery): Promise<Map<string, number>> {
  // Only established TCP flows: the listing stays as small as the open connections, however many
  // closed ones wait out TIME_WAIT.
  const args = ["-L", "-f", q.family === 4 ? "ipv4" : "ipv6", "-p", q.protocol];
  if (q.protocol === "tcp") args.push("--state", "ESTABLISHED");
  const r = await run("conntrack", [...args, "--orig-dst", q.vip, "--orig-port-dst", String(q.port)]);
  if (r.code !== 0) throw new KernelCommandError("E_CONNTRACK", `conntrack -L failed: ${why(r)}`);
  const counts = new Map<string, number>();
  for (const line of r.stdout.split("\n")) {
    if (/\b(TIME_WAIT|CLOSE)\b/.test(line)) continue;
    const srcs = [...line.matchAll(/\bsrc=(\S+)/g)];
    const sports = [...line.matchAll(/\bsport=(\d+)/g)];
    const ip = srcs[1]?.[1];
    const port = sports[1]?.[1];
    if (!ip || !port) continue;
    const key = q.family === 4 ? `${ip}:${port}` : `[${ip}]:${port}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

/** Deletes the virtual server's flows that go to real server `ip:port` (quiescent: false). Returns how
 * many were deleted. */
export async function conntrackDelete(q: FlowQuery, ip: string, port: number): Promise<number> {
  const r = await run("conntrack", [
    "-D",
    "-f",
    q.family === 4 ? "ipv4" : "ipv6",
    "-p",
    q.protocol,
    "--orig-dst",
    q.vip,
    "--orig-port-dst",
    String(q.port),
    "--reply-src",
    ip,
    "--reply-port-src",
    String(port),
  ]);
  const m = /(\d+) flow entries have been deleted/.exec(r.stderr + r.stdout);
  // conntrack exits 1 when nothing matched; that is success here.
  if (m && (r.code === 0 || r.code === 1)) return Number(m[1]);
  throw new KernelCommandError("E_CONNTRACK", `conntrack -D failed: ${why(r)}`);
}

/** Whether the kernel forwards IPv4/IPv6 packets in this network namespace (kernel forwarding needs it). */
export async function forwardingEnabled(family: 4 | 6): Promise<boolean> {
  const path = family === 4 ? "/proc/sys/net/ipv4/ip_forward" : "/proc/sys/net/ipv6/conf/all/forwarding";
  try {
    return (await readFile(path, "utf8")).trim() === "1";
  } catch {
    return false;
  }
}

/** Deletes the flows this node tracked for the virtual server while it held the address but had no table
 * yet (between the VIP going up and the table's install): a real server's packets forwarded without
 * NAT, and client packets taken locally. Left in conntrack they would bypass the new table for as long
 * as the flow lasts; deleted, the next packet is NATed (sh sends it to the same server). Flows already
 * NATed are kept. Returns how many were deleted. */
export async function conntrackForgetUnforwarded(
  q: FlowQuery,
  servers: readonly { ip: string; port: number }[],
): Promise<number> {
  const fam = q.family === 4 ? "ipv4" : "ipv6";
  let deleted = 0;
  const count = (r: Run) => Number(/(\d+) flow entries have been deleted/.exec(r.stderr + r.stdout)?.[1] ?? 0);
  for (const s of servers) {
    const r = await run("conntrack", [
      "-D",
      "-f",
      fam,
      "-p",
      q.protocol,
      "--orig-src",
      s.ip,
      "--orig-port-src",
      String(s.port),
    ]);
    deleted += count(r);
  }
  const listed = await run("conntrack", [
    "-L",
    "-f",
    fam,
    "-p",
    q.protocol,
    "--orig-dst",
    q.vip,
    "--orig-port-dst",
    String(q.port),
  ]);
  if (listed.code !== 0) throw new KernelCommandError("E_CONNTRACK", `conntrack -L failed: ${why(listed)}`);
  for (const line of listed.stdout.split("\n")) {
    const srcs = [...line.matchAll(/\bsrc=(\S+)/g)].map((m) => m[1]);
    const sports = [...line.matchAll(/\bsport=(\d+)/g)].map((m) => m[1]);
    // Not DNATed: the reply comes from the virtual address itself.
    if (srcs.length < 2 || srcs[1] !== q.vip || !srcs[0] || !sports[0]) continue;
    const r = await run("conntrack", [
      "-D",
      "-f",
      fam,
      "-p",
      q.protocol,
      "--orig-src",
      srcs[0],
      "--orig-dst",
      q.vip,
      "--orig-port-src",
      sports[0],
      "--orig-port-dst",
      String(q.port),
    ]);
    deleted += count(r);
  }
  return deleted;
}
