// The client: connects to ADDRESS:PORT every EVERY ms for DURATION ms and prints one line per attempt:
// "<ms since start> <answering host>" or "<ms> -" when nothing answered within the timeout.
// Usage: node probe.mjs ADDRESS PORT EVERY DURATION
import { connect } from "node:net";

const [address, port, every, duration] = process.argv.slice(2);
const t0 = performance.now();
const timeoutMs = 20;

function attempt() {
  const at = performance.now() - t0;
  let answered = false;
  const s = connect({ host: address, port: Number(port) });
  const timer = setTimeout(() => s.destroy(), timeoutMs);
  let data = "";
  s.on("data", (d) => (data += d));
  s.on("close", () => {
    clearTimeout(timer);
    if (!answered) process.stdout.write(`${at.toFixed(1)} ${data.trim() || "-"}\n`);
    answered = true;
  });
  s.on("error", () => undefined);
}

const timer = setInterval(() => {
  if (performance.now() - t0 > Number(duration)) {
    clearInterval(timer);
    setTimeout(() => process.exit(0), 100);
    return;
  }
  attempt();
}, Number(every));
process.stdout.write("started\n");
