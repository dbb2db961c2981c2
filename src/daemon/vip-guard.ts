// The guard process: takes this node's groups over when the daemon can no longer vouch for them (see
// guard.ts). Reads the daemon's lines on stdin (guard-protocol.ts), writes a line on stdout for each
// group it stopped by itself, logs JSON lines on stderr. When stdin closes (the daemon died or left),
// it takes over every group still covered as its cover runs out, then exits 0. SIGTERM and SIGINT are
// ignored: a stop of the service must not end the guard before the groups it covers are gone.
import { createInterface } from "node:readline";
import { Guard } from "./guard.js";
import { parseToGuard } from "./guard-protocol.js";

const log = (msg: string) =>
  process.stderr.write(`${JSON.stringify({ level: 40, time: new Date().toISOString(), guard: true, msg })}\n`);
process.stdout.on("error", () => undefined);
// The daemon that reads stderr may be gone: the guard must outlive it, so a broken pipe is ignored.
process.stderr.on("error", () => undefined);
const guard = new Guard((line) => process.stdout.write(`${JSON.stringify(line)}\n`), log);

const lines = createInterface({ input: process.stdin });
lines.on("line", (line) => {
  const m = parseToGuard(line);
  if (typeof m === "string") return log(`guard: ignoring a line from the daemon (${m}): ${line.slice(0, 200)}`);
  if (!("t" in m)) return guard.legacy(m.holdMs, m.vips);
  if (m.t === "config") return guard.configure(m);
  guard.cover(m.groups, m.at);
});
process.stdout.write(`${JSON.stringify({ t: "ready" })}\n`);
lines.on("close", () => {
  void guard.close().then(() => process.exit(0));
});
process.on("SIGTERM", () => undefined);
process.on("SIGINT", () => undefined);
