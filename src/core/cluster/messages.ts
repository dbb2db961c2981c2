// Cluster messages and their payload codec. Framing and HMAC are the transport's job; this decodes an
// authenticated payload strictly, so a malformed one is an error value, never an exception or a state change.
import { z } from "zod";
import type { AdminState, Command } from "./admin.js";

/** Sent by every node every interval to every peer. */
export interface Heartbeat {
  type: "hb";
  from: string;
  /** Boot incarnation of the sender: a larger one means the sender restarted. */
  inc: number;
  /** Per-incarnation sequence number, strictly increasing across all messages of the sender. */
  seq: number;
  /** Highest leader term the sender knows. */
  term: number;
  /** Locks the sender holds or asks for: group names and the leader lock. */
  claims: string[];
  /** Per claimed lock with a stop budget: how much longer (ms) than the lease a voter must keep its
   * promise once the sender falls silent, so the sender's resources are surely gone first. */
  budgets?: Record<string, number>;
  /** Groups whose resources run on the sender. */
  running: string[];
  /** Groups whose stop failed on the sender: their promises must run out, not be released. */
  unclean: string[];
  /** The sender knows nothing of an earlier incarnation of itself is still active (its old guard is
   * gone): what it claims and runs is all it has. Restarted voters wait for this from every member. */
  settled?: boolean;
  standby: boolean;
  /** Peers the sender hears (so others can tell whether it could reach a quorum). */
  alive: string[];
  /** Failure count per group on the sender. */
  failures: Record<string, number>;
  /** Set only while the sender holds the leader lease. */
  leader?: LeaderAnnouncement;
}

/** What a leader announces: its term and where each group should run. */
export interface LeaderAnnouncement {
  term: number;
  /** Increases whenever the assignments change within a term. */
  version: number;
  assignments: Record<string, string | null>;
  /** Operator state (standby nodes, moves, cleanups, maintenance) the leader carries. */
  admin: AdminState;
}

/** A voter's answer to one heartbeat's claims. */
export interface Ack {
  type: "ack";
  from: string;
  inc: number;
  seq: number;
  /** The incarnation and sequence of the heartbeat answered. */
  ackInc: number;
  ackSeq: number;
  /** Highest leader term the voter knows: a new leader takes a term above every term its voters saw. */
  term: number;
  granted: string[];
  /** Locks refused, with the node the voter has promised them to ("-": none, the voter is just restarting). */
  denied: [string, string][];
}

/** An operator command forwarded to the leader by the node that received it. */
export interface CommandMsg {
  type: "cmd";
  from: string;
  inc: number;
  seq: number;
  /** Unique per sender incarnation; the leader applies each id once. */
  id: number;
  cmd: Command;
}

/** The leader's answer to a forwarded command. */
export interface CommandResultMsg {
  type: "cmdres";
  from: string;
  inc: number;
  seq: number;
  id: number;
  ok: boolean;
  message: string;
}

/** Any cluster message. */
export type ClusterMsg = Heartbeat | Ack | CommandMsg | CommandResultMsg;

/** Largest payload accepted, bytes. */
export const MAX_PAYLOAD = 16 * 1024;

const name = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/);
const lockName = z.union([name, z.literal("*leader")]);
const counter = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const lockList = z.array(lockName).max(512);

const heartbeatSchema = z.strictObject({
  type: z.literal("hb"),
  from: name,
  inc: counter,
  seq: counter,
  term: counter,
  claims: lockList,
  budgets: z.record(lockName, counter).optional(),
  running: lockList,
  unclean: lockList,
  settled: z.boolean().optional(),
  standby: z.boolean(),
  alive: z.array(name).max(512),
  failures: z.record(name, counter),
  leader: z
    .strictObject({
      term: counter,
      version: counter,
      assignments: z.record(name, name.nullable()),
      admin: z.strictObject({
        standby: z.array(name).max(512),
        moves: z.record(name, name),
        cleanups: z.record(name, counter),
        maintenance: z.boolean(),
      }),
    })
    .optional(),
});

const ackSchema = z.strictObject({
  type: z.literal("ack"),
  from: name,
  inc: counter,
  seq: counter,
  ackInc: counter,
  ackSeq: counter,
  term: counter,
  granted: lockList,
  denied: z.array(z.tuple([lockName, z.union([name, z.literal("-")])])).max(512),
});

const commandSchema = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.literal("standby"), node: name }),
  z.strictObject({ kind: z.literal("online"), node: name }),
  z.strictObject({ kind: z.literal("move"), group: name, node: name }),
  z.strictObject({ kind: z.literal("cleanup"), group: name }),
  z.strictObject({ kind: z.literal("maintenance"), on: z.boolean() }),
]);

const cmdSchema = z.strictObject({
  type: z.literal("cmd"),
  from: name,
  inc: counter,
  seq: counter,
  id: counter,
  cmd: commandSchema,
});
const cmdResSchema = z.strictObject({
  type: z.literal("cmdres"),
  from: name,
  inc: counter,
  seq: counter,
  id: counter,
  ok: z.boolean(),
  message: z.string().max(1024),
});

const messageSchema = z.discriminatedUnion("type", [heartbeatSchema, ackSchema, cmdSchema, cmdResSchema]);

/** Why a payload was refused. */
export type DecodeError = "oversized" | "not-json" | "malformed";

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/** Encodes a message payload as UTF-8 JSON. */
export function encodeMessage(msg: ClusterMsg): Uint8Array {
  return encoder.encode(JSON.stringify(msg));
}

/** Decodes a payload; returns an error value for anything that is not exactly a valid message. */
export function decodeMessage(bytes: Uint8Array): { ok: true; msg: ClusterMsg } | { ok: false; error: DecodeError } {
  if (bytes.length > MAX_PAYLOAD) return { ok: false, error: "oversized" };
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(bytes));
  } catch {
    return { ok: false, error: "not-json" };
  }
  const parsed = messageSchema.safeParse(value);
  return parsed.success ? { ok: true, msg: parsed.data as ClusterMsg } : { ok: false, error: "malformed" };
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
