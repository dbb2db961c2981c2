// The VIP guard: a small separate process that removes this node's virtual IPs when the daemon can no
// longer vouch for them. The cluster worker writes, every heartbeat, how long each held VIP stays
// covered by its group's lease ({"holdMs":N,"vips":[[address, interface], ...]} per line). If no renewal
// arrives in time (the daemon is frozen, or its cluster loop starved) or the daemon died (the pipe
// closed), the guard removes the VIPs itself when the last reported lease runs out: before any other
// node may take them over, and not earlier, so clients are not left without an answer meanwhile.
import { createInterface } from "node:readline";
import { removeAddress } from "../adapters/resources/vip.js";

type Vip = [address: string, iface: string];

let held: Vip[] = [];
let deadline = Infinity;
let timer: NodeJS.Timeout | undefined;
const log = (msg: string) => process.stderr.write(`${JSON.stringify({ level: 40, time: new Date().toISOString(), guard: true, msg })}\n`);

async function removeAll(why: string): Promise<void> {
  const vips = held;
  held = [];
  deadline = Infinity;
  for (const [address, iface] of vips) {
    const r = await removeAddress(address, iface);
    log(`guard: ${why}; ${r.detail}`);
  }
}

function arm(): void {
  if (timer) clearTimeout(timer);
  if (held.length === 0) return;
  timer = setTimeout(() => void removeAll("the lease ran out without renewal from the daemon"), Math.max(0, deadline - performance.now()));
}

const lines = createInterface({ input: process.stdin });
lines.on("line", (line) => {
  try {
    const m = JSON.parse(line) as { holdMs: number; vips: Vip[] };
    held = m.vips;
    deadline = performance.now() + m.holdMs;
    arm();
  } catch {
    log(`guard: ignoring a malformed line`);
  }
});
lines.on("close", () => {
  // The daemon is gone. The lease it last reported still covers its VIPs (nobody else may take them
  // before it runs out), so they keep answering until then and are removed exactly when it ends.
  if (timer) clearTimeout(timer);
  const left = Math.max(0, deadline - performance.now());
  setTimeout(() => void removeAll("the daemon is gone and its lease ran out").then(() => process.exit(0)), held.length > 0 ? left : 0);
});
process.on("SIGTERM", () => undefined);
process.on("SIGINT", () => undefined);
