// The daemon's HTTP API. For now: GET /status, the node's full state as JSON.
import { createServer, type Server } from "node:http";
import type { Endpoint } from "../core/net/address.js";

/** What the API reads state through. */
export interface StatusSource {
  status(): Promise<unknown>;
}

/** Starts the API on `listen`; resolves once it is listening. */
export async function startApi(listen: Endpoint, source: StatusSource): Promise<Server> {
  const server = createServer((req, res) => {
    const send = (code: number, body: unknown) => {
      res.writeHead(code, { "content-type": "application/json" });
      res.end(`${JSON.stringify(body, null, 2)}\n`);
    };
    if (req.method === "GET" && req.url === "/status") {
      source.status().then((s) => send(200, s), (err: Error) => send(500, { error: err.message }));
      return;
    }
    send(404, { error: `no such endpoint: ${req.method} ${req.url}` });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(listen.port, listen.ip.text, () => {
      server.off("error", reject);
      resolve();
    });
  });
  return server;
}
