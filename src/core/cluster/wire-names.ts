// The primitive values of cluster messages, shared by the message and admin schemas.
import { z } from "zod";

/** A node or group name as it may appear on the wire. */
export const wireName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/);
/** A lock: a group name or the leader lock. */
export const lockName = z.union([wireName, z.literal("*leader")]);
/** A non-negative integer counter (incarnation, sequence, term, ...). */
export const counter = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
