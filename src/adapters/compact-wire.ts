// The compact payload of heartbeats and acks on the wire: every node, group and lock name inside them
// is a 32-bit id (core/cluster/wire-ids), lists of ids and (id, value) pairs are packed big-endian and
// sent as base64 strings. A leader's heartbeat of 500 groups on 9 nodes is then a few kilobytes, at
// worst (every group claimed, running, unclean, failed, moved and cleaned up) about 34 kB: within one
// packet (see config/wire-limits, which `vigil check` applies). Commands and their results are rare
// and small and travel as they are. The wire schemas below are the one definition of this form; like
// the message schemas they ignore unknown fields (a newer minor version may add some).
import { z } from "zod";
import {
  cmdResSchema,
  cmdSchema,
  MAX_PAYLOAD,
  type Ack,
  type ClusterMsg,
  type Heartbeat,
} from "../core/cluster/messages.js";
import { MAX_POSITION_CHARS } from "../core/cluster/positions.js";
import { counter, wireName } from "../core/cluster/wire-names.js";
import { NOBODY, wireId, type NameBook } from "../core/cluster/wire-ids.js";

const packed = z
  .string()
  .max(MAX_PAYLOAD)
  .regex(/^[A-Za-z0-9+/]*={0,2}$/);

const heartbeatWire = z.object({
  type: z.literal("hb"),
  from: wireName,
  inc: counter,
  seq: counter,
  term: counter,
  /** Lock ids. */
  claims: packed,
  /** (lock id, ms) pairs. */
  budgets: packed.optional(),
  /** Group ids. */
  running: packed,
  unclean: packed,
  settled: z.boolean().optional(),
  standby: z.boolean(),
  /** Node ids. */
  alive: packed,
  /** (group id, count) pairs. */
  failures: packed,
  /** (group id, packed track verdict) pairs; absent when every track check passes. */
  track: packed.optional(),
  /** (group id, received GTID position) pairs of the promotable groups; absent when none. */
  positions: z
    .array(z.tuple([z.number().int().min(0).max(0xffffffff), z.string().max(MAX_POSITION_CHARS)]))
    .max(512)
    .optional(),
  leader: z
    .object({
      term: counter,
      version: counter,
      /** (group id, node id or 0 for none) pairs. */
      assignments: packed,
      admin: z.object({
        standby: packed,
        moves: packed,
        cleanups: packed,
        maintenance: z.boolean(),
      }),
    })
    .optional(),
});

const ackWire = z.object({
  type: z.literal("ack"),
  from: wireName,
  inc: counter,
  seq: counter,
  ackInc: counter,
  ackSeq: counter,
  term: counter,
  /** Lock ids. */
  granted: packed,
  /** (lock id, holder node id or 0 for "-") pairs. */
  denied: packed,
});

const wireSchema = z.discriminatedUnion("type", [heartbeatWire, ackWire, cmdSchema, cmdResSchema]);

/** A message in its wire form. */
export type WireMsg = z.infer<typeof wireSchema>;

const U32 = 0xffffffff;
const sat = (n: number) => Math.min(U32, n);

function ids(names: readonly string[]): string {
  const b = Buffer.alloc(4 * names.length);
  names.forEach((n, i) => b.writeUInt32BE(wireId(n), 4 * i));
  return b.toString("base64");
}

function pairs(entries: readonly [string, number][]): string {
  const b = Buffer.alloc(8 * entries.length);
  entries.forEach(([k, v], i) => {
    b.writeUInt32BE(wireId(k), 8 * i);
    b.writeUInt32BE(v, 8 * i + 4);
  });
  return b.toString("base64");
}

const nodeRef = (name: string | null) => (name === null || name === "-" ? NOBODY : wireId(name));
const counts = (r: Record<string, number>) => Object.entries(r).map(([k, v]) => [k, sat(v)] as [string, number]);
const names = (r: Record<string, string | null>) =>
  Object.entries(r).map(([k, v]) => [k, nodeRef(v)] as [string, number]);

/** The wire form of a message. */
export function toWire(msg: ClusterMsg): WireMsg {
  if (msg.type === "hb") {
    const { claims, budgets, running, unclean, alive, failures, track, positions, leader, ...rest } = msg;
    return {
      ...rest,
      ...(track && Object.keys(track).length > 0 ? { track: pairs(counts(track)) } : {}),
      ...(positions && Object.keys(positions).length > 0
        ? { positions: Object.entries(positions).map(([g, p]) => [wireId(g), p] as [number, string]) }
        : {}),
      claims: ids(claims),
      ...(budgets ? { budgets: pairs(counts(budgets)) } : {}),
      running: ids(running),
      unclean: ids(unclean),
      alive: ids(alive),
      failures: pairs(counts(failures)),
      ...(leader
        ? {
            leader: {
              term: leader.term,
              version: leader.version,
              assignments: pairs(names(leader.assignments)),
              admin: {
                standby: ids(leader.admin.standby),
                moves: pairs(names(leader.admin.moves)),
                cleanups: pairs(counts(leader.admin.cleanups)),
                maintenance: leader.admin.maintenance,
              },
            },
          }
        : {}),
    };
  }
  if (msg.type === "ack") {
    const { granted, denied, ...rest } = msg;
    return { ...rest, granted: ids(granted), denied: pairs(denied.map(([l, h]) => [l, nodeRef(h)])) };
  }
  return msg;
}

/** Unpacks base64 into u32s; undefined when the length is not a multiple of `width` words. */
function words(text: string, width: 1 | 2): number[] | undefined {
  const b = Buffer.from(text, "base64");
  if (b.length % (4 * width) !== 0 || b.toString("base64") !== text) return undefined;
  const out: number[] = [];
  for (let i = 0; i < b.length; i += 4) out.push(b.readUInt32BE(i));
  return out;
}

class Malformed extends Error {}

/** Reads a message's wire form back, naming ids with `book`; undefined when it is not a valid form. */
export function fromWire(value: unknown, book: NameBook): ClusterMsg | undefined {
  const parsed = wireSchema.safeParse(value);
  if (!parsed.success) return undefined;
  const w = parsed.data;
  const list = (text: string) => {
    const ws = words(text, 1);
    if (!ws) throw new Malformed();
    return ws.map((id) => book.name(id));
  };
  const entries = (text: string) => {
    const ws = words(text, 2);
    if (!ws) throw new Malformed();
    const out: [string, number][] = [];
    for (let i = 0; i < ws.length; i += 2) out.push([book.name(ws[i] as number), ws[i + 1] as number]);
    return out;
  };
  const counted = (text: string) => Object.fromEntries(entries(text));
  const named = (text: string) =>
    Object.fromEntries(entries(text).map(([k, v]) => [k, v === NOBODY ? null : book.name(v)]));
  try {
    if (w.type === "hb") {
      const { claims, budgets, running, unclean, alive, failures, track, positions, leader, ...rest } = w;
      const hb: Heartbeat = {
        ...rest,
        ...(track !== undefined ? { track: counted(track) } : {}),
        ...(positions !== undefined
          ? { positions: Object.fromEntries(positions.map(([id, p]) => [book.name(id), p])) }
          : {}),
        claims: list(claims),
        ...(budgets !== undefined ? { budgets: counted(budgets) } : {}),
        running: list(running),
        unclean: list(unclean),
        alive: list(alive),
        failures: counted(failures),
        ...(leader
          ? {
              leader: {
                term: leader.term,
                version: leader.version,
                assignments: named(leader.assignments),
                admin: {
                  standby: list(leader.admin.standby),
                  moves: Object.fromEntries(
                    Object.entries(named(leader.admin.moves)).filter((e): e is [string, string] => e[1] !== null),
                  ),
                  cleanups: counted(leader.admin.cleanups),
                  maintenance: leader.admin.maintenance,
                },
              },
            }
          : {}),
      };
      return hb;
    }
    if (w.type === "ack") {
      const { granted, denied, ...rest } = w;
      const ack: Ack = {
        ...rest,
        granted: list(granted),
        denied: entries(denied).map(([l, h]) => [l, h === NOBODY ? "-" : book.name(h)]),
      };
      return ack;
    }
    return w;
  } catch (err) {
    if (err instanceof Malformed) return undefined;
    throw err;
  }
}
