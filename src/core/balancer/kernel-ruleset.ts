// The nftables table of one kernel-forwarded virtual server (forward: nat | fullnat), as `nft -j`
// commands. Pure: the real servers' state in, JSON commands out; the adapter sends each list as one
// transaction, so the kernel never holds a half-written table.
//
// Table `vigil_<name>` (family ip or ip6):
//   chain prerouting  (nat, dstnat)   VIP:PORT            → jump pick
//   chain pick                        persistent client   → jump rs_<id>   (per eligible server)
//                                     numgen | jhash slot → vmap jump rs_<id>
//                                     (no eligible server) → dnat to the sorry server
//   chain rs_<id>                     [remember client] count new flow, dnat to the real server
//   chain postrouting (nat, srcnat)   nat: a packet from a real server's port opening a new entry
//                                     (a flow begun on another director) → snat to VIP:PORT
//                                     fullnat: every flow of this VIP → masquerade
//   chain forward     (filter)        packets and bytes of the flows of each real server
import { fnv1a } from "./scheduler.js";

/** Prefix of every table vigil creates; start-up removes stale ones and never touches any other. */
export const TABLE_PREFIX = "vigil_";

/** Slots of the sh hash ring: each server owns slots by weight; a failed server's slots go to the others. */
export const SH_SLOTS = 256;

/** Most rr/wrr slots (weights are scaled down beyond). */
const MAX_WRR_SLOTS = 1024;

/** One real server as the kernel table sees it. */
export interface KernelServer {
  ip: string;
  port: number;
  weight: number;
  /** Passes its health checks (rise/fall). */
  up: boolean;
  /** Removed by a reload: takes no new flows, keeps its open ones until they end. */
  draining: boolean;
}

/** Everything the table of a virtual server depends on. */
export interface KernelSpec {
  /** The virtual server's name (the table is `vigil_<name>`). */
  name: string;
  forward: "nat" | "fullnat";
  protocol: "tcp" | "udp";
  family: 4 | 6;
  vip: string;
  port: number;
  scheduler: "rr" | "wrr" | "sh";
  /** Persistence timeout in ms (absent: none). */
  persistenceMs?: number;
  sorry?: { ip: string; port: number };
  /** Configured, draining, up and down servers, in configuration order. */
  servers: readonly KernelServer[];
}

/** One `nft -j` command object, e.g. { add: { rule: {...} } }. */
export type NftCommand = Record<string, unknown>;

/** The table name of virtual server `name`. */
export function tableName(name: string): string {
  return `${TABLE_PREFIX}${name}`;
}

/** The nft family of a spec. */
export function nftFamily(spec: Pick<KernelSpec, "family">): "ip" | "ip6" {
  return spec.family === 4 ? "ip" : "ip6";
}

/** A server's identity inside the table (chain, set and counter names). */
export function serverId(s: { ip: string; port: number }): string {
  return `${s.ip.replace(/[:.]/g, "_")}_${s.port}`;
}

/** A server that may receive new flows. */
export function eligible(s: KernelServer): boolean {
  return s.up && !s.draining && s.weight > 0;
}

/** The seed of the sh hash: fixed per virtual server, so every director maps a client to the same slot. */
export function hashSeed(name: string): number {
  return fnv1a(`vigil-sh:${name}`);
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/** Weights reduced by their common divisor and scaled so they sum to at most `max` (each at least 1). */
function reducedWeights(weights: readonly number[], max: number): number[] {
  const g = weights.reduce((a, w) => gcd(a, w), 0) || 1;
  let ws = weights.map((w) => w / g);
  const sum = ws.reduce((a, w) => a + w, 0);
  if (sum > max) ws = ws.map((w) => Math.max(1, Math.floor((w * max) / sum)));
  return ws;
}

/** Smooth weighted round robin order (nginx's): weights 3:1 give a b a a. Returns indexes. */
export function smoothOrder(weights: readonly number[]): number[] {
  const total = weights.reduce((a, w) => a + w, 0);
  const current = weights.map(() => 0);
  const out: number[] = [];
  for (let n = 0; n < total; n++) {
    let best = 0;
    for (let i = 0; i < weights.length; i++) {
      current[i] = (current[i] ?? 0) + (weights[i] ?? 0);
      if ((current[i] ?? 0) > (current[best] ?? 0)) best = i;
    }
    current[best] = (current[best] ?? 0) - total;
    out.push(best);
  }
  return out;
}

/** The sh slot owners: every server with weight > 0 that is not draining owns slots by weight (contiguous,
 * in address order, so both directors agree whatever the health); the slots of a server that is down go
 * to the eligible ones in smooth weighted order. A failure moves only the failed server's clients. */
export function shSlots(servers: readonly KernelServer[]): (KernelServer | undefined)[] {
  const base = servers
    .filter((s) => !s.draining && s.weight > 0)
    .sort((a, b) => serverId(a).localeCompare(serverId(b)));
  const live = base.filter(eligible);
  if (live.length === 0) return [];
  const total = base.reduce((a, s) => a + s.weight, 0);
  const owners: KernelServer[] = [];
  let acc = 0;
  for (const s of base) {
    acc += s.weight;
    const end = Math.round((acc * SH_SLOTS) / total);
    while (owners.length < end) owners.push(s);
  }
  const order = smoothOrder(
    reducedWeights(
      live.map((s) => s.weight),
      SH_SLOTS,
    ),
  );
  let k = 0;
  return owners.map((s) => (eligible(s) ? s : live[order[k++ % order.length] ?? 0]));
}

/** The rr/wrr slot owners (numgen inc mod N): rr one slot each, wrr in smooth weighted order. */
export function rrSlots(spec: KernelSpec): KernelServer[] {
  const live = spec.servers.filter(eligible);
  if (spec.scheduler === "rr") return live;
  return smoothOrder(
    reducedWeights(
      live.map((s) => s.weight),
      MAX_WRR_SLOTS,
    ),
  ).map((i) => live[i] as KernelServer);
}

// --- JSON expression helpers -----------------------------------------------------------------------

const payload = (protocol: string, field: string) => ({ payload: { protocol, field } });
const match = (left: unknown, right: unknown, op = "==") => ({ match: { op, left, right } });
/** A conntrack tuple field: `key` "ip daddr", "ip6 saddr", "proto-dst", … of one direction. */
const ctTuple = (dir: "original" | "reply", key: string) => ({ ct: { key, dir } });
const l4 = (proto: string) => match({ meta: { key: "l4proto" } }, proto);
const ctProto = (proto: string) => match({ ct: { key: "protocol" } }, proto);

/** Rules of the spec, grouped by chain. */
function chainRules(spec: KernelSpec): Record<string, unknown[][]> {
  const fam = nftFamily(spec);
  const proto = spec.protocol;
  const servers = spec.servers;
  const live = servers.filter(eligible);
  const rules: Record<string, unknown[][]> = { prerouting: [], pick: [], postrouting: [], forward: [] };
  const toVip = [match(payload(fam, "daddr"), spec.vip), match(payload(proto, "dport"), spec.port)];
  rules.prerouting?.push([...toVip, { jump: { target: "pick" } }]);

  if (live.length === 0) {
    if (spec.sorry)
      rules.pick?.push([
        l4(proto),
        { counter: "sorry" },
        { dnat: { family: fam, addr: spec.sorry.ip, port: spec.sorry.port } },
      ]);
  } else {
    if (spec.persistenceMs !== undefined)
      for (const s of live)
        rules.pick?.push([
          match(payload(fam, "saddr"), `@p_${serverId(s)}`),
          { jump: { target: `rs_${serverId(s)}` } },
        ]);
    const slots = spec.scheduler === "sh" ? shSlots(servers) : rrSlots(spec);
    const key =
      spec.scheduler === "sh"
        ? { jhash: { mod: slots.length, seed: hashSeed(spec.name), expr: payload(fam, "saddr") } }
        : { numgen: { mode: "inc", mod: slots.length } };
    const elems = slots.map((s, i) => [i, { jump: { target: `rs_${serverId(s as KernelServer)}` } }]);
    rules.pick?.push([{ vmap: { key, data: { set: elems } } }]);
  }

  for (const s of servers) {
    const id = serverId(s);
    const chain: unknown[] = [];
    if (spec.persistenceMs !== undefined)
      chain.push({ set: { op: "update", elem: payload(fam, "saddr"), set: `@p_${id}` } });
    chain.push(l4(proto), { counter: `n_${id}` }, { dnat: { family: fam, addr: s.ip, port: s.port } });
    rules[`rs_${id}`] = [chain];
    // Both directions of a flow of this server: the conntrack tuple says which server it went to.
    for (const [dir, counter] of [
      ["original", `i_${id}`],
      ["reply", `o_${id}`],
    ] as const)
      rules.forward?.push([
        match(ctTuple("original", `${fam} daddr`), spec.vip),
        ctProto(proto),
        match(ctTuple("original", "proto-dst"), spec.port),
        match(ctTuple("reply", `${fam} saddr`), s.ip),
        match(ctTuple("reply", "proto-src"), s.port),
        match({ ct: { key: "direction" } }, dir),
        { counter },
      ]);
  }
  if (spec.forward === "fullnat") {
    rules.postrouting?.push([
      match({ ct: { key: "status" } }, "dnat", "in"),
      match(ctTuple("original", `${fam} daddr`), spec.vip),
      ctProto(proto),
      match(ctTuple("original", "proto-dst"), spec.port),
      { masquerade: null },
    ]);
  } else {
    // A flow that began on another director: the real server's packet opens a new entry here; without
    // this it would leave with the real server's address and the client would drop it.
    for (const s of spec.sorry ? [...servers, spec.sorry] : servers)
      rules.postrouting?.push([
        match(payload(fam, "saddr"), s.ip),
        match(payload(proto, "sport"), s.port),
        { snat: { family: fam, addr: spec.vip, port: spec.port } },
      ]);
  }
  return rules;
}

const BASE_CHAINS = {
  prerouting: { type: "nat", hook: "prerouting", prio: -100, policy: "accept" },
  postrouting: { type: "nat", hook: "postrouting", prio: 100, policy: "accept" },
  forward: { type: "filter", hook: "forward", prio: 0, policy: "accept" },
} as const;

/** Every object (chains, sets, counters) and rule of the table, for one transaction that adds them. */
function contents(spec: KernelSpec, objectsOnly = false): NftCommand[] {
  const family = nftFamily(spec);
  const table = tableName(spec.name);
  const out: NftCommand[] = [];
  for (const [name, base] of Object.entries(BASE_CHAINS))
    out.push({ add: { chain: { family, table, name, ...base } } });
  out.push({ add: { chain: { family, table, name: "pick" } } });
  if (spec.sorry) out.push({ add: { counter: { family, table, name: "sorry" } } });
  for (const s of spec.servers) {
    const id = serverId(s);
    out.push({ add: { chain: { family, table, name: `rs_${id}` } } });
    out.push({ add: { counter: { family, table, name: `n_${id}` } } });
    out.push({ add: { counter: { family, table, name: `i_${id}` } } });
    out.push({ add: { counter: { family, table, name: `o_${id}` } } });
    if (spec.persistenceMs !== undefined)
      out.push({
        add: {
          set: {
            family,
            table,
            name: `p_${id}`,
            type: spec.family === 4 ? "ipv4_addr" : "ipv6_addr",
            flags: ["timeout"],
            timeout: Math.max(1, Math.round(spec.persistenceMs / 1000)),
          },
        },
      });
  }
  if (objectsOnly) return out;
  return [...out, ...rulesOf(spec)];
}

function rulesOf(spec: KernelSpec): NftCommand[] {
  const family = nftFamily(spec);
  const table = tableName(spec.name);
  const out: NftCommand[] = [];
  for (const [chain, list] of Object.entries(chainRules(spec)))
    for (const expr of list) out.push({ add: { rule: { family, table, chain, expr } } });
  return out;
}

/** Installs the table from scratch: an old table of the same name (a stale one) is replaced. */
export function installCommands(spec: KernelSpec): NftCommand[] {
  const family = nftFamily(spec);
  const name = tableName(spec.name);
  return [
    { add: { table: { family, name } } },
    { delete: { table: { family, name } } },
    { add: { table: { family, name } } },
    ...contents(spec),
  ];
}

/** Removes the table (the virtual server stops being served here). */
export function removeCommands(spec: Pick<KernelSpec, "name" | "family">): NftCommand[] {
  return [{ delete: { table: { family: nftFamily(spec), name: tableName(spec.name) } } }];
}

/** What must change from `prev` to `next` without losing counters and persistence entries: every chain is
 * rewritten, objects of new servers added, those of servers gone deleted, a server that stopped being
 * eligible forgets its persistent clients. A change of address, port, protocol, family, mode or
 * persistence timeout reinstalls the table. */
export function updateCommands(prev: KernelSpec, next: KernelSpec): NftCommand[] {
  const shape = (s: KernelSpec) =>
    JSON.stringify([s.name, s.forward, s.protocol, s.family, s.vip, s.port, s.persistenceMs, s.sorry !== undefined]);
  if (shape(prev) !== shape(next)) return installCommands(next);
  const family = nftFamily(next);
  const table = tableName(next.name);
  const out: NftCommand[] = [];
  const chains = ["prerouting", "pick", "postrouting", "forward", ...prev.servers.map((s) => `rs_${serverId(s)}`)];
  for (const name of chains) out.push({ flush: { chain: { family, table, name } } });
  const nextIds = new Set(next.servers.map(serverId));
  for (const s of prev.servers) {
    const id = serverId(s);
    if (nextIds.has(id)) continue;
    out.push({ delete: { chain: { family, table, name: `rs_${id}` } } });
    out.push({ delete: { counter: { family, table, name: `n_${id}` } } });
    out.push({ delete: { counter: { family, table, name: `i_${id}` } } });
    out.push({ delete: { counter: { family, table, name: `o_${id}` } } });
    if (next.persistenceMs !== undefined) out.push({ delete: { set: { family, table, name: `p_${id}` } } });
  }
  // Sets exist already for kept servers (and got the kernel's "dynamic" flag, so adding them again fails).
  const prevIds = new Set(prev.servers.map(serverId));
  out.push(...contents({ ...next, servers: next.servers.filter((s) => !prevIds.has(serverId(s))) }, true));
  if (next.persistenceMs !== undefined) {
    const before = new Map(prev.servers.map((s) => [serverId(s), s]));
    for (const s of next.servers) {
      const was = before.get(serverId(s));
      if (was && eligible(was) && !eligible(s))
        out.push({ flush: { set: { family, table, name: `p_${serverId(s)}` } } });
    }
  }
  return [...out, ...rulesOf(next)];
}

/** The tables of an `nft -j list tables` answer that vigil made (its prefix) and no configured virtual
 * server being served owns: removed at start-up. */
export function staleTables(listing: unknown): { family: string; name: string }[] {
  const items = (listing as { nftables?: unknown[] } | undefined)?.nftables ?? [];
  const out: { family: string; name: string }[] = [];
  for (const item of items) {
    const t = (item as { table?: { family?: unknown; name?: unknown } }).table;
    if (t && typeof t.name === "string" && typeof t.family === "string" && t.name.startsWith(TABLE_PREFIX))
      out.push({ family: t.family, name: t.name });
  }
  return out;
}

/** One real server's counters as read back from the table. */
export interface ServerCounters {
  /** New flows sent to it. */
  flows: number;
  /** Bytes of its flows from clients to it, and back. */
  bytesIn: number;
  bytesOut: number;
}

/** The per-server counters of an `nft -j list counters table …` answer, by server id; `sorry` counts
 * flows sent to the sorry server. */
export function readCounters(listing: unknown): { servers: Map<string, ServerCounters>; sorry: number } {
  const items = (listing as { nftables?: unknown[] } | undefined)?.nftables ?? [];
  const servers = new Map<string, ServerCounters>();
  let sorry = 0;
  const entry = (id: string) => {
    let e = servers.get(id);
    if (!e) servers.set(id, (e = { flows: 0, bytesIn: 0, bytesOut: 0 }));
    return e;
  };
  for (const item of items) {
    const c = (item as { counter?: { name?: unknown; packets?: unknown; bytes?: unknown } }).counter;
    if (!c || typeof c.name !== "string") continue;
    const packets = Number(c.packets) || 0;
    const bytes = Number(c.bytes) || 0;
    if (c.name === "sorry") sorry = packets;
    else if (c.name.startsWith("n_")) entry(c.name.slice(2)).flows = packets;
    else if (c.name.startsWith("i_")) entry(c.name.slice(2)).bytesIn = bytes;
    else if (c.name.startsWith("o_")) entry(c.name.slice(2)).bytesOut = bytes;
  }
  return { servers, sorry };
}
