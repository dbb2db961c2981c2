// A client in its own process (so the test's own work cannot delay it): starts a connection to
// 127.0.0.1:PORT every EVERY ms, without waiting for the previous one, and prints the wall-clock time
// at which each connection was accepted, when a real server then answered on it. Runs until killed.
// Usage: node prober.mjs PORT EVERY
import { connect } from "node:net";

const [port, every] = process.argv.slice(2).map(Number);

function attempt() {
  const s = connect({ host: "127.0.0.1", port });
  let connectedAt = 0;
  const timer = setTimeout(() => s.destroy(), 500);
  s.once("connect", () => (connectedAt = Date.now()));
  s.once("data", () => {
    process.stdout.write(`${connectedAt}\n`);
    s.destroy();
  });
  s.once("close", () => clearTimeout(timer));
  s.on("error", () => undefined);
}

setInterval(attempt, every);
