// A real server for the kernel forwarding tests. Usage: node kernel-backend.mjs NAME PORT HEALTH_PORT
// TCP on PORT: answers "NAME CLIENT_IP\n" at once; then each line "ping" gets "NAME pong"; a line
// "big N" gets N bytes (byte i = i % 251) written as fast as the client reads them.
// UDP on PORT: each datagram gets "NAME CLIENT_IP". HEALTH_PORT is a plain TCP listener for health
// checks: SIGUSR1 closes it (the server fails its checks while still serving), SIGUSR2 opens it again.
import { createSocket } from "node:dgram";
import { createServer } from "node:net";

const [name, port, healthPort] = process.argv.slice(2);
const clientIp = (s) => (s.remoteAddress ?? "").replace(/^::ffff:/, "");

const tcp = createServer((sock) => {
  sock.on("error", () => undefined);
  sock.write(`${name} ${clientIp(sock)}\n`);
  let buf = "";
  sock.on("data", (d) => {
    buf += d.toString();
    let nl;
    while ((nl = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      if (line === "ping") sock.write(`${name} pong\n`);
      const big = /^big (\d+)$/.exec(line);
      if (big) sendBig(sock, Number(big[1]));
    }
  });
});
function sendBig(sock, total) {
  const chunk = Buffer.alloc(64 * 1024);
  let sent = 0;
  const more = () => {
    while (sent < total) {
      const n = Math.min(chunk.length, total - sent);
      for (let i = 0; i < n; i++) chunk[i] = (sent + i) % 251;
      sent += n;
      if (!sock.write(n === chunk.length ? chunk : chunk.subarray(0, n))) return sock.once("drain", more);
    }
    sock.end();
  };
  more();
}
tcp.listen(Number(port), "0.0.0.0");

const udp = createSocket("udp4");
udp.on("message", (msg, rinfo) => udp.send(`${name} ${rinfo.address}`, rinfo.port, rinfo.address));
udp.bind(Number(port), "0.0.0.0");

let health;
const openHealth = () => {
  if (health) return;
  health = createServer((s) => s.end()).listen(Number(healthPort), "0.0.0.0");
};
openHealth();
process.on("SIGUSR1", () => {
  health?.close();
  health = undefined;
});
process.on("SIGUSR2", openHealth);
process.stdout.write(`${name} listening\n`);
