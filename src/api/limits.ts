// The API's resource limits: how many connections it holds and how long a client may take to send its
// headers and its request. A client that opens connections and sends nothing (slowloris) is cut off
// within seconds, and no number of connections can take more than API_MAX_CONNECTIONS sockets.
import type { Server, ServerOptions } from "node:http";

/** Most connections the TCP API holds at once; more are closed on accept. The web page needs one or
 * two per open tab, the CLI one, Prometheus one. */
export const API_MAX_CONNECTIONS = 64;

/** Most connections the local socket holds at once. */
export const SOCKET_MAX_CONNECTIONS = 16;

/** A client must have sent its whole header within this, ms. */
export const HEADERS_TIMEOUT_MS = 5_000;

/** A client must have sent its whole request within this, ms. */
export const REQUEST_TIMEOUT_MS = 10_000;

/** An idle keep-alive connection is closed after this, ms. */
export const KEEP_ALIVE_TIMEOUT_MS = 5_000;

/** Options for createServer: small headers (8 KiB; more is 431), timeouts checked every second. */
export const SERVER_OPTIONS: ServerOptions = {
  maxHeaderSize: 8 * 1024,
  headersTimeout: HEADERS_TIMEOUT_MS,
  requestTimeout: REQUEST_TIMEOUT_MS,
  keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
  connectionsCheckingInterval: 1_000,
};

/** Applies the limits createServer's options do not cover. */
export function applyLimits(server: Server, maxConnections = API_MAX_CONNECTIONS): void {
  server.maxConnections = maxConnections;
  server.maxHeadersCount = 64;
  server.maxRequestsPerSocket = 1_000;
  server.timeout = 30_000;
}
