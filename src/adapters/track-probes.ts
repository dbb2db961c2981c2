// The probes behind `track:` checks, each one run of one check on this node: an interface's link state
// as the kernel reports it (/sys/class/net), ICMP echo with the system `ping` or a TCP connect for
// IP:PORT, and a script's exit code. Each ends within its timeout and never throws: a probe that cannot
// run fails.
import { readFile } from "node:fs/promises";
import { connect } from "node:net";
import type { TrackCheck } from "../core/cluster/track.js";
import { parseNodeAddress } from "../core/net/address.js";
import { describeResult, runCommand } from "./run-command.js";

/** One probe result and what it saw. */
export interface ProbeOutcome {
  ok: boolean;
  detail: string;
}

/** Where the kernel shows network interfaces (tests never change it; kept for clarity). */
const SYS_NET = "/sys/class/net";

/** Link up: operstate "up", or "unknown" with carrier 1 (loopback, dummy and some tunnels report
 * "unknown"). A missing interface fails. */
export async function interfaceUp(name: string): Promise<ProbeOutcome> {
  const read = (f: string) => readFile(`${SYS_NET}/${name}/${f}`, "utf8").then((s) => s.trim());
  let state: string;
  try {
    state = await read("operstate");
  } catch {
    return { ok: false, detail: `no interface ${name}` };
  }
  if (state === "up") return { ok: true, detail: "link up" };
  const carrier = await read("carrier").catch(() => "0"); // reading carrier of a down interface fails (EINVAL)
  if (state === "unknown" && carrier === "1") return { ok: true, detail: "link up (operstate unknown, carrier)" };
  return { ok: false, detail: `link ${state}` };
}

/** ICMP echo to a bare IP (`ping -c 1`), or a TCP connect to IP:PORT; a refused connection fails. */
export async function reachable(address: string, timeoutMs: number): Promise<ProbeOutcome> {
  const e = parseNodeAddress(address, 0);
  if (!e) return { ok: false, detail: `not an address: ${address}` };
  if (e.port === 0) {
    const wait = Math.max(0.001, timeoutMs / 1000).toFixed(3);
    const r = await runCommand(
      "ping",
      [e.ip.family === 6 ? "-6" : "-4", "-c", "1", "-n", "-q", "-W", wait, e.ip.text],
      {
        timeoutMs,
        graceMs: 0,
      },
    );
    if (r.code === 0) return { ok: true, detail: "echo reply" };
    if (r.spawnError) return { ok: false, detail: `ping could not run: ${r.spawnError}` };
    return { ok: false, detail: `no echo reply within ${timeoutMs}ms` };
  }
  return new Promise((resolve) => {
    const s = connect({ host: e.ip.text, port: e.port, timeout: timeoutMs });
    const done = (r: ProbeOutcome) => {
      s.destroy();
      resolve(r);
    };
    s.once("connect", () => done({ ok: true, detail: "connected" }));
    s.once("timeout", () => done({ ok: false, detail: `no connection within ${timeoutMs}ms` }));
    s.once("error", (err: NodeJS.ErrnoException) =>
      done({ ok: false, detail: err.code === "ECONNREFUSED" ? "connection refused" : (err.code ?? err.message) }),
    );
  });
}

/** `PATH ARGS...` exits 0 within `timeoutMs` (it is killed with its process group after). */
export async function scriptPasses(path: string, args: readonly string[], timeoutMs: number): Promise<ProbeOutcome> {
  const r = await runCommand(path, args, { timeoutMs, graceMs: 0 });
  const out = r.output.trim().split("\n")[0]?.slice(0, 200);
  return { ok: r.code === 0, detail: `${describeResult(r)}${out ? `: ${out}` : ""}` };
}

/** Runs one probe of a check (not `group` checks: the core judges those from the clone's state). */
export function probe(c: Exclude<TrackCheck, { type: "group" }>): Promise<ProbeOutcome> {
  const run = (): Promise<ProbeOutcome> => {
    switch (c.type) {
      case "interface":
        return interfaceUp(c.name);
      case "ping":
        return reachable(c.address, c.timeout);
      case "exec":
        return scriptPasses(c.path, c.args, c.timeout);
    }
  };
  return run().catch((err: Error) => ({ ok: false, detail: `probe failed: ${err.message}` }));
}
