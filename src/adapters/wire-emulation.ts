// Tests only: makes a node frame its packets as another protocol version would, to test rolling
// upgrades with real processes. VIGIL_TEST_WIRE=newer-minor: minor version + 1 and an unknown field in
// every message object (top level, announcement, admin state, command), as a newer release would add;
// VIGIL_TEST_WIRE=other-major: the next major version (which the others must refuse, and say so).
import type { ClusterMsg } from "../core/cluster/messages.js";
import { toWire } from "./compact-wire.js";
import { PROTOCOL, type FrameOptions } from "./frame.js";

/** The emulations a test can ask for. */
export type WireEmulation = "newer-minor" | "other-major";

/** Reads VIGIL_TEST_WIRE; undefined when unset; throws for an unknown value. */
export function wireEmulationFromEnv(env: NodeJS.ProcessEnv = process.env): WireEmulation | undefined {
  const v = env.VIGIL_TEST_WIRE;
  if (v === undefined || v === "") return undefined;
  if (v === "newer-minor" || v === "other-major") return v;
  throw new Error(`VIGIL_TEST_WIRE=${v}: expected newer-minor or other-major (tests only)`);
}

const EXTRA = { note: "a field of a newer minor version", n: 1 };

function withExtras(msg: ClusterMsg): Uint8Array {
  const copy = JSON.parse(JSON.stringify(toWire(msg))) as Record<string, unknown>;
  copy.x_newer = EXTRA;
  const leader = copy.leader as Record<string, unknown> | undefined;
  if (leader) {
    leader.x_newer = EXTRA;
    (leader.admin as Record<string, unknown>).x_newer = EXTRA;
  }
  if (copy.cmd) (copy.cmd as Record<string, unknown>).x_newer = EXTRA;
  return new TextEncoder().encode(JSON.stringify(copy));
}

/** The frame options of an emulation. */
export function frameOptionsFor(e: WireEmulation | undefined): FrameOptions {
  if (e === "newer-minor") return { minor: PROTOCOL.minor + 1, payload: withExtras };
  if (e === "other-major") return { major: PROTOCOL.major + 1 };
  return {};
}
