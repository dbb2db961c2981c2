// Where the local API socket of a daemon lives: in the runtime directory (env VIGIL_RUNTIME_DIR,
// default /run/vigil), named after the TCP address the daemon's API listens on, so that several daemons
// on one host (the demo, tests) each have their own, and the CLI finds the socket of the daemon it would
// otherwise reach over TCP at that address.
import { join } from "node:path";
import type { Endpoint } from "../core/net/address.js";

/** The local API socket of the daemon whose API listens on `listen`, under `runtimeDir`. */
export function apiSocketPath(runtimeDir: string, listen: Endpoint): string {
  const host = listen.ip.family === 6 ? `[${listen.ip.text}]` : listen.ip.text;
  return join(runtimeDir, `api-${host}:${listen.port}.sock`);
}
