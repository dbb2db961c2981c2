// A host's service behind the VIP: answers every TCP connection on PORT (IPv4 and IPv6) with the host's name.
// A client that gives up and resets the connection must not kill it: socket errors are ignored.
// Usage: node responder.mjs NAME PORT
import { createServer } from "node:net";

const [name, port] = process.argv.slice(2);
createServer((s) => {
  s.on("error", () => undefined);
  s.end(`${name}\n`);
}).listen(Number(port), "::", () => process.stdout.write("ready\n"));
