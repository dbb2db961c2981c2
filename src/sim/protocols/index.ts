// The protocols `npm run sim` can drive, by name.
import type { SimProtocol } from "../world.js";
import { gossipProtocol } from "./gossip.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyProtocol = SimProtocol<any, any, any, any>;

/** Named protocol factories; the first is the default. */
export const PROTOCOLS: Record<string, (nodes?: number) => AnyProtocol> = {
  gossip: (n) => gossipProtocol(n ?? 3),
};
