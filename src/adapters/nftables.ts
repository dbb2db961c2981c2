// The `nft` and `conntrack` programs, thin and failing closed: a transaction either applied entirely
// (nft exits 0) or the call rejects with what nft said; nothing is parsed here beyond JSON.
import { spawn } from "node:child_process";
import type { NftCommand } from "../core/balancer/kernel-ruleset.js";
import { childEnv } from "./child-env.js";

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

function run(path: string, args: readonly string[], input?: string): Promise<Run> {
  return new Promise((resolve) => {
    let stdout = "";
    let stderr = "";
    let settled = false;
    const done = (r: Run) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(path, args, { stdio: ["pipe", "pipe", "pipe"], env: childEnv() });
    } catch (err) {
      return resolve({ code: null, stdout, stderr, error: (err as Error).message });
    }
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      done({ code: null, stdout, stderr, error: `timed out after ${RUN_TIMEOUT_MS}ms` });
    }, RUN_TIMEOUT_MS);
    child.on("error", (err) => done({ code: null, stdout, stderr, error: err.message }));
    child.stdout?.on("data", (c: Buffer) => {
      if (stdout.length < MAX_OUTPUT) stdout += c.toString();
      else child.kill("SIGKILL");
    });
    child.stderr?.on("data", (c: Buffer) => {
      if (stderr.length < 64 * 1024) stderr += c.toString();
    });
    child.on("close", (code) => done({ code, stdout, stderr }));
    child.stdin?.on("error", () => undefined);
    child.stdin?.end(input ?? "");
  });
}

function why(r: Run): string {
  return r.error ?? (r.stderr.trim().split("\n").filter(Boolean).slice(0, 3).join("; ") || `exit code ${r.code}`);
}

/** Applies `commands` as one nftables transaction (`nft -j -f -`): all or nothing. */
export async function nftApply(commands: readonly NftCommand[]): Promise<void> {
  if (commands.length === 0) return;
  const r = await run("nft", ["-j", "-f", "-"], JSON.stringify({ nftables: commands }));
  if (r.code !== 0) throw new KernelCommandError("E_NFT", `nft transaction failed: ${why(r)}`);
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

/** Open flows of the virtual server by real server ("IP:PORT" of the reply's source; IPv6 in brackets).
 * TCP flows in TIME_WAIT or CLOSE do not count. */
export async function conntrackFlows(q: FlowQuery): Promise<Map<string, number>> {
  const args = ["-L", "-f", q.family === 4 ? "ipv4" : "ipv6", "-p", q.protocol];
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
  const { readFile } = await import("node:fs/promises");
  const path = family === 4 ? "/proc/sys/net/ipv4/ip_forward" : "/proc/sys/net/ipv6/conf/all/forwarding";
  try {
    return (await readFile(path, "utf8")).trim() === "1";
  } catch {
    return false;
  }
}
