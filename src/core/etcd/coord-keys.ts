// The keys vigil keeps in etcd under `cluster.etcd.prefix`, and reading them back from one range read:
//   PREFIX/leader          the leader lock (value: node name; on the leader's session lease; its
//                          create_revision is the leader's term and fencing token)
//   PREFIX/assign/GROUP    the node the leader assigned GROUP to ("" for none); written by the leader only
//                          in transactions that require its leader key unchanged
//   PREFIX/lock/GROUP      the group lock (value: node name; on the holder's session lease)
//   PREFIX/state/GROUP     {"holder","lease","clean"}: who took the lock last and whether it gave it back
//                          after its stop finished (a lock that vanished with a lease was not: the next
//                          holder waits the group's stop budget)
//   PREFIX/status/NODE     the node's report (on its session lease: gone when its session is)
//   PREFIX/admin           operator state (standby, moves, cleanups, maintenance), leader-written
//   PREFIX/cmd/ID, result/ID  an operator command a node received, and the leader's answer
import { adminStateSchema, commandSchema, EMPTY_ADMIN, type AdminState, type Command } from "../cluster/admin.js";
import type { KeyRange, KeyValue, RangeResult } from "./kv.js";

/** A node's report, as it writes it to PREFIX/status/NODE. */
export interface NodeReport {
  inc: number;
  /** Groups not stopped there (their resources may be active). */
  running: string[];
  standby: boolean;
  failures: Record<string, number>;
  /** Groups whose track checks fail there, packed verdicts (track.ts). */
  track?: Record<string, number>;
  /** Promotable groups: the replication position received there. */
  positions?: Record<string, string>;
  /** Nothing of an earlier incarnation of the node is active. */
  settled: boolean;
}

/** PREFIX/state/GROUP: the last holder of the group's lock, and whether it released it cleanly. */
export interface LockState {
  holder: string;
  lease: string;
  clean: boolean;
}

/** Everything vigil keeps in etcd, as one read saw it. */
export interface Snapshot {
  revision: number;
  leader?: KeyValue;
  assignments: Record<string, string | null>;
  locks: Map<string, KeyValue>;
  states: Map<string, LockState>;
  reports: Map<string, NodeReport>;
  admin: AdminState;
  /** Commands waiting for the leader, by id (the key after cmd/). */
  commands: Map<string, Command>;
  results: Map<string, { ok: boolean; message: string }>;
  /** Keys under the prefix that could not be read (a value vigil did not write). */
  unreadable: string[];
}

/** Key names under one prefix. */
export class CoordKeys {
  constructor(readonly prefix: string) {}
  get leader(): string {
    return `${this.prefix}/leader`;
  }
  get admin(): string {
    return `${this.prefix}/admin`;
  }
  assign(group: string): string {
    return `${this.prefix}/assign/${group}`;
  }
  lock(group: string): string {
    return `${this.prefix}/lock/${group}`;
  }
  state(group: string): string {
    return `${this.prefix}/state/${group}`;
  }
  status(node: string): string {
    return `${this.prefix}/status/${node}`;
  }
  command(id: string): string {
    return `${this.prefix}/cmd/${id}`;
  }
  result(id: string): string {
    return `${this.prefix}/result/${id}`;
  }
  /** Every key vigil keeps. */
  get all(): KeyRange {
    return { key: `${this.prefix}/`, prefix: true };
  }

  /** Reads a range answer over `all` into a snapshot; values that do not parse are listed, not used. */
  read(r: RangeResult): Snapshot {
    const s: Snapshot = {
      revision: r.revision,
      assignments: {},
      locks: new Map(),
      states: new Map(),
      reports: new Map(),
      admin: EMPTY_ADMIN,
      commands: new Map(),
      results: new Map(),
      unreadable: [],
    };
    const base = `${this.prefix}/`;
    for (const kv of r.kvs) {
      const rest = kv.key.slice(base.length);
      const slash = rest.indexOf("/");
      const kind = slash < 0 ? rest : rest.slice(0, slash);
      const name = slash < 0 ? "" : rest.slice(slash + 1);
      if (!readKey(s, kind, name, kv)) s.unreadable.push(kv.key);
    }
    return s;
  }
}

function json(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const strings = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === "string");
const numbers = (v: unknown): v is Record<string, number> =>
  isRecord(v) && Object.values(v).every((x) => typeof x === "number");

function report(v: unknown): NodeReport | undefined {
  if (!isRecord(v) || typeof v.inc !== "number" || !strings(v.running) || typeof v.standby !== "boolean") return;
  if (!numbers(v.failures) || typeof v.settled !== "boolean") return;
  if (v.track !== undefined && !numbers(v.track)) return;
  if (
    v.positions !== undefined &&
    !(isRecord(v.positions) && Object.values(v.positions).every((x) => typeof x === "string"))
  )
    return;
  return v as unknown as NodeReport;
}

/** Files one key into the snapshot; false when its value is not what vigil writes. */
function readKey(s: Snapshot, kind: string, name: string, kv: KeyValue): boolean {
  switch (kind) {
    case "leader":
      s.leader = kv;
      return kv.value !== "";
    case "assign":
      s.assignments[name] = kv.value === "" ? null : kv.value;
      return name !== "";
    case "lock":
      s.locks.set(name, kv);
      return name !== "";
    case "state": {
      const v = json(kv.value);
      if (!isRecord(v) || typeof v.holder !== "string" || typeof v.lease !== "string" || typeof v.clean !== "boolean")
        return false;
      s.states.set(name, { holder: v.holder, lease: v.lease, clean: v.clean });
      return true;
    }
    case "status": {
      const r = report(json(kv.value));
      if (r) s.reports.set(name, r);
      return r !== undefined;
    }
    case "admin": {
      const r = adminStateSchema.safeParse(json(kv.value));
      if (r.success) s.admin = r.data;
      return r.success;
    }
    case "cmd": {
      const r = commandSchema.safeParse(json(kv.value));
      if (r.success) s.commands.set(name, r.data);
      return r.success;
    }
    case "result": {
      const v = json(kv.value);
      if (!isRecord(v) || typeof v.ok !== "boolean" || typeof v.message !== "string") return false;
      s.results.set(name, { ok: v.ok, message: v.message });
      return true;
    }
    default:
      return false;
  }
}
