// A client in its own process (so the test's own work cannot delay it): starts a TCP connection to
// 127.0.0.1:PORT every EVERY ms, without waiting for the previous one, and for each one a real server
// answered on, prints the wall-clock time at which it was accepted. Runs until killed.
// Usage: node prober.mjs PORT EVERY
import { connect } from "node:net";

const [port, every] = process.argv.slice(2).map(Number);

function attempt() {
  const s = connect({ host: "127.0.0.1", port });
  let acceptedAt = 0;
  const timer = setTimeout(() => s.destroy(), 1000);
  s.once("connect", () => (acceptedAt = Date.now()));
  s.once("data", () => {
    process.stdout.write(`${acceptedAt}\n`);
    s.destroy();
  });
  s.once("close", () => clearTimeout(timer));
  s.on("error", () => undefined);
}

setInterval(attempt, every);
