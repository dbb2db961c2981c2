// Cluster messages and their payload codec. Framing, protocol version and HMAC are the transport's job
// (adapters/frame.ts); this decodes an authenticated payload, so a malformed one is an error value, never
// an exception or a state change. The schemas are the one definition of the messages: their TypeScript
// types are inferred from them. Within a major protocol version the decoder tolerates unknown fields
// (a newer minor version may add some; they are dropped here, so the core never sees them) and missing
// optional ones (an older minor version); a change that old nodes cannot ignore needs a new major.
import { z } from "zod";
import { adminStateSchema, commandSchema } from "./admin.js";
import { MAX_POSITION_CHARS } from "./positions.js";
import { counter, lockName, wireName as name } from "./wire-names.js";

const lockList = z.array(lockName).max(512);

/** What a leader announces: its term and where each group should run. */
const announcementSchema = z.object({
  term: counter,
  /** Increases whenever the assignments change within a term. */
  version: counter,
  assignments: z.record(name, name.nullable()),
  /** Operator state (standby nodes, moves, cleanups, maintenance) the leader carries. */
  admin: adminStateSchema,
});

/** Sent by every node every interval to every peer. */
const heartbeatSchema = z.object({
  type: z.literal("hb"),
  from: name,
  /** Boot incarnation of the sender: a larger one means the sender restarted. */
  inc: counter,
  /** Per-incarnation sequence number, strictly increasing across all messages of the sender. */
  seq: counter,
  /** Highest leader term the sender knows. */
  term: counter,
  /** Locks the sender holds or asks for: group names and the leader lock. */
  claims: lockList,
  /** Per claimed lock with a stop budget: how much longer (ms) than the lease a voter must keep its
   * promise once the sender falls silent, so the sender's resources are surely gone first. */
  budgets: z.record(lockName, counter).optional(),
  /** Groups whose resources run on the sender. */
  running: lockList,
  /** Groups whose stop failed on the sender: their promises must run out, not be released. */
  unclean: lockList,
  /** The sender knows nothing of an earlier incarnation of itself is still active (its old guard is
   * gone): what it claims and runs is all it has. Restarted voters wait for this from every member. */
  settled: z.boolean().optional(),
  standby: z.boolean(),
  /** Peers the sender hears (so others can tell whether it could reach a quorum). */
  alive: z.array(name).max(512),
  /** Failure count per group on the sender. */
  failures: z.record(name, counter),
  /** Groups the sender may not run because a track check fails there: the packed verdict (track.ts).
   * Absent (an older sender, or every check passes): the sender qualifies for every group. */
  track: z.record(name, counter).optional(),
  /** Per promotable group: the GTID position the sender's database server has received (positions.ts).
   * Absent: nothing to report (no promotable group, or an older sender). */
  positions: z.record(name, z.string().max(MAX_POSITION_CHARS)).optional(),
  /** Set only while the sender holds the leader lease. */
  leader: announcementSchema.optional(),
});

/** A voter's answer to one heartbeat's claims. */
const ackSchema = z.object({
  type: z.literal("ack"),
  from: name,
  inc: counter,
  seq: counter,
  /** The incarnation and sequence of the heartbeat answered. */
  ackInc: counter,
  ackSeq: counter,
  /** Highest leader term the voter knows: a new leader takes a term above every term its voters saw. */
  term: counter,
  granted: lockList,
  /** Locks refused, with the node the voter has promised them to ("-": none, the voter is just restarting). */
  denied: z.array(z.tuple([lockName, z.union([name, z.literal("-")])])).max(512),
});

/** An operator command forwarded to the leader by the node that received it. */
export const cmdSchema = z.object({
  type: z.literal("cmd"),
  from: name,
  inc: counter,
  seq: counter,
  /** Unique per sender incarnation; the leader applies each id once. */
  id: counter,
  cmd: commandSchema,
});

/** The leader's answer to a forwarded command. */
export const cmdResSchema = z.object({
  type: z.literal("cmdres"),
  from: name,
  inc: counter,
  seq: counter,
  id: counter,
  ok: z.boolean(),
  message: z.string().max(1024),
});

const messageSchema = z.discriminatedUnion("type", [heartbeatSchema, ackSchema, cmdSchema, cmdResSchema]);

/** Sent by every node every interval to every peer. */
export type Heartbeat = z.infer<typeof heartbeatSchema>;
/** What a leader announces: its term and where each group should run. */
export type LeaderAnnouncement = z.infer<typeof announcementSchema>;
/** A voter's answer to one heartbeat's claims. */
export type Ack = z.infer<typeof ackSchema>;
/** An operator command forwarded to the leader. */
export type CommandMsg = z.infer<typeof cmdSchema>;
/** The leader's answer to a forwarded command. */
export type CommandResultMsg = z.infer<typeof cmdResSchema>;
/** Any cluster message. */
export type ClusterMsg = z.infer<typeof messageSchema>;

/** Largest payload accepted, bytes (a UDP datagram carries up to 65,507; see config/wire-limits for
 * what a config may need). */
export const MAX_PAYLOAD = 48 * 1024;

/** Why a payload was refused. */
export type DecodeError = "oversized" | "not-json" | "malformed";

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/** Encodes a message payload as UTF-8 JSON. */
export function encodeMessage(msg: ClusterMsg): Uint8Array {
  return encoder.encode(JSON.stringify(msg));
}

/** Decodes a payload; returns an error value for anything that is not a valid message (unknown fields
 * are dropped, see above). */
export function decodeMessage(bytes: Uint8Array): { ok: true; msg: ClusterMsg } | { ok: false; error: DecodeError } {
  if (bytes.length > MAX_PAYLOAD) return { ok: false, error: "oversized" };
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(bytes));
  } catch {
    return { ok: false, error: "not-json" };
  }
  const parsed = messageSchema.safeParse(value);
  return parsed.success ? { ok: true, msg: parsed.data } : { ok: false, error: "malformed" };
}

/** A short description for traces and logs. */
export function describeMessage(m: ClusterMsg): string {
  if (m.type === "cmd") return `cmd#${m.id} ${JSON.stringify(m.cmd)}`;
  if (m.type === "cmdres") return `cmdres#${m.id} ${m.ok ? "ok" : "refused"}: ${m.message}`;
  if (m.type === "ack") {
    const denied = m.denied.map(([l, h]) => `${l}→${h}`).join(",");
    return `ack#${m.seq} of #${m.ackSeq}${m.granted.length ? ` grant[${m.granted.join(",")}]` : ""}${denied ? ` deny[${denied}]` : ""}`;
  }
  const lead = m.leader
    ? ` LEAD t${m.leader.term}v${m.leader.version} {${Object.entries(m.leader.assignments)
        .map(([g, n]) => `${g}:${n ?? "-"}`)
        .join(",")}}`
    : "";
  return `hb#${m.seq} t${m.term} claims[${m.claims.join(",")}] run[${m.running.join(",")}]${m.standby ? " standby" : ""}${lead}`;
}
