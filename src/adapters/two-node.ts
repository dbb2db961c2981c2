// The two_node guards as real operations: the fence command, and the tiebreaker reachability check
// (ICMP echo with the system `ping` for a bare IP, a TCP connect for IP:PORT; a refused connection
// still proves the host answers).
import { connect } from "node:net";
import type { Config } from "../core/config/schema.js";
import { parseNodeAddress } from "../core/net/address.js";
import { describeResult, runCommand } from "./run-command.js";

/** Runs `PATH ARGS... NODE`; ok only on exit 0 within the timeout. */
export async function fence(
  spec: NonNullable<Config["cluster"]["fence"]>,
  node: string,
): Promise<{ ok: boolean; detail: string }> {
  const r = await runCommand(spec.path, [...spec.args, node], { timeoutMs: spec.timeout });
  return {
    ok: r.code === 0,
    detail: `fence ${node} with ${spec.path}: ${describeResult(r)}${r.output.trim() ? `: ${r.output.trim().slice(0, 300)}` : ""}`,
  };
}

/** Checks whether the tiebreaker answers within `timeoutMs`. */
export async function tiebreakerReachable(address: string, timeoutMs: number): Promise<boolean> {
  const e = parseNodeAddress(address, 0);
  if (!e) return false;
  if (e.port === 0) {
    const r = await runCommand(
      "ping",
      [
        e.ip.family === 6 ? "-6" : "-4",
        "-c",
        "1",
        "-n",
        "-W",
        String(Math.max(1, Math.ceil(timeoutMs / 1000))),
        e.ip.text,
      ],
      { timeoutMs: timeoutMs + 1000 },
    );
    return r.code === 0;
  }
  return new Promise((resolve) => {
    const s = connect({ host: e.ip.text, port: e.port, timeout: timeoutMs });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.once("connect", () => done(true));
    s.once("timeout", () => done(false));
    s.once("error", (err: NodeJS.ErrnoException) => done(err.code === "ECONNREFUSED"));
  });
}
