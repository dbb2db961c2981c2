// The demo's real servers: a tiny HTTP app that says who answered. `node app-server.js PORT NAME`.
import { createServer } from "node:http";

const [portText, name = "app"] = process.argv.slice(2);
const port = Number(portText);
createServer((req, res) => {
  res.writeHead(200, { "content-type": "text/plain" });
  res.end(req.url === "/health" ? "ok\n" : `hello from ${name}\n`);
}).listen(port, "127.0.0.1");
process.on("SIGTERM", () => process.exit(0));
