// A real server in its own process: answers every connection with NAME and a newline, then closes.
// Prints its port once listening. Usage: node answer-server.mjs NAME
import { createServer } from "node:net";

const name = process.argv[2] ?? "app";
const server = createServer((s) => {
  s.on("error", () => undefined);
  s.end(`${name}\n`);
});
server.listen(0, "127.0.0.1", () => process.stdout.write(`${server.address().port}\n`));
