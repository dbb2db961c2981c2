// MariaDB GTID positions, pure: parsing "0-1-100,1-2-5" (per replication domain, the last GTID as
// domain-server_id-seq_no), and comparing two positions per domain. Under gtid_strict_mode seq_no grows
// strictly within a domain, so a position holds another when, in every domain of the other, its seq_no
// is at least as high; the same seq_no from two server_ids is two different transactions (divergence).

/** One GTID: replication domain, the server that wrote it, its sequence number in the domain. */
export interface Gtid {
  domain: number;
  server: number;
  seq: number;
}

/** A position: the last GTID seen per domain (what gtid_binlog_pos, gtid_slave_pos and Gtid_IO_Pos show). */
export type GtidPos = ReadonlyMap<number, Gtid>;

/** An empty position (a fresh server). */
export const EMPTY_POS: GtidPos = new Map();

const GTID = /^(\d{1,10})-(\d{1,10})-(\d{1,20})$/;

/** Parses a position as MariaDB prints it ("" is empty); undefined when it is not one. A domain given
 * twice keeps its highest seq_no (MariaDB lists each domain once). */
export function parseGtidPos(text: string): GtidPos | undefined {
  const pos = new Map<number, Gtid>();
  const trimmed = text.trim();
  if (trimmed === "") return pos;
  for (const part of trimmed.split(",")) {
    const m = GTID.exec(part.trim());
    if (!m) return undefined;
    const g = { domain: Number(m[1]), server: Number(m[2]), seq: Number(m[3]) };
    const had = pos.get(g.domain);
    if (!had || had.seq < g.seq) pos.set(g.domain, g);
  }
  return pos;
}

/** Formats a position as MariaDB does, domains in order ("" when empty). */
export function formatGtidPos(pos: GtidPos): string {
  return [...pos.values()]
    .sort((a, b) => a.domain - b.domain)
    .map((g) => `${g.domain}-${g.server}-${g.seq}`)
    .join(",");
}

/** How position `a` stands to `b`: equal; ahead (holds all of b and more); behind (b holds all of a
 * and more); divergent (each has a transaction the other lacks, or one seq_no from two servers). */
export type GtidOrder =
  | { kind: "equal" }
  | { kind: "ahead"; reason: string }
  | { kind: "behind"; reason: string }
  | { kind: "divergent"; reason: string };

/** Compares two positions domain by domain (seq_no, and server_id where seq_no is equal). */
export function compareGtid(a: GtidPos, b: GtidPos): GtidOrder {
  const domains = [...new Set([...a.keys(), ...b.keys()])].sort((x, y) => x - y);
  const aheadIn: string[] = [];
  const behindIn: string[] = [];
  for (const d of domains) {
    const x = a.get(d);
    const y = b.get(d);
    if (x && y && x.seq === y.seq && x.server !== y.server)
      return {
        kind: "divergent",
        reason: `domain ${d}: seq_no ${x.seq} was written by server ${x.server} on one side and server ${y.server} on the other`,
      };
    const xs = x?.seq ?? 0;
    const ys = y?.seq ?? 0;
    if (xs > ys) aheadIn.push(`domain ${d}: ${gtidText(x)} > ${y ? gtidText(y) : "nothing"}`);
    else if (xs < ys) behindIn.push(`domain ${d}: ${x ? gtidText(x) : "nothing"} < ${gtidText(y)}`);
  }
  if (aheadIn.length > 0 && behindIn.length > 0)
    return { kind: "divergent", reason: `ahead in ${aheadIn.join("; ")} but behind in ${behindIn.join("; ")}` };
  if (aheadIn.length > 0) return { kind: "ahead", reason: aheadIn.join("; ") };
  if (behindIn.length > 0) return { kind: "behind", reason: behindIn.join("; ") };
  return { kind: "equal" };
}

/** Whether `a` holds every transaction of `b` (equal or ahead). */
export function holds(a: GtidPos, b: GtidPos): boolean {
  const o = compareGtid(a, b).kind;
  return o === "equal" || o === "ahead";
}

/** How many transactions `b` has beyond `a`, summed over domains (0 when a holds b; a lag figure). */
export function transactionsBehind(a: GtidPos, b: GtidPos): number {
  let n = 0;
  for (const [d, y] of b) n += Math.max(0, y.seq - (a.get(d)?.seq ?? 0));
  return n;
}

function gtidText(g: Gtid | undefined): string {
  return g ? `${g.domain}-${g.server}-${g.seq}` : "nothing";
}
