// A client in its own process (so the test's own work cannot delay it): starts a TCP connection to
// 127.0.0.1:PORT every EVERY ms, without waiting for the previous one, and prints the wall-clock time
// at which each was accepted (the group's listener was there; refused otherwise). Runs until killed.
// Usage: node prober.mjs PORT EVERY
import { connect } from "node:net";

const [port, every] = process.argv.slice(2).map(Number);

function attempt() {
  const s = connect({ host: "127.0.0.1", port });
  const timer = setTimeout(() => s.destroy(), 500);
  s.once("connect", () => {
    process.stdout.write(`${Date.now()}\n`);
    s.destroy();
  });
  s.once("close", () => clearTimeout(timer));
  s.on("error", () => undefined);
}

setInterval(attempt, every);
