// Names on the wire as 32-bit ids: a heartbeat of 500 groups cannot carry 500 names several times over
// within one packet. An id is the FNV-1a hash of the name, so both ends derive it with no shared list:
// nodes whose group lists differ for a while (a reload going round the cluster) still agree on every
// id. A receiver maps ids back to the names it knows; an id it does not know becomes "#" + 8 hex digits,
// which encodes back to the same id, so a lock of a group only the sender knows is still voted on
// consistently. `vigil check` refuses a config in which two names share an id (see config/wire-limits).

/** Id 0 stands for "nobody" (an unassigned group, a lock promised to no one). */
export const NOBODY = 0;

/** The 32-bit FNV-1a hash of a name (names are ASCII; see the config's name rules). */
export function wireId(name: string): number {
  if (/^#[0-9a-f]{8}$/.test(name)) return Number.parseInt(name.slice(1), 16);
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** The name that stands for an id no configured name has. */
export function unknownName(id: number): string {
  return `#${id.toString(16).padStart(8, "0")}`;
}

/** Id → name for every name a node knows (its nodes, its groups, the leader lock). */
export class NameBook {
  private byId = new Map<number, string>();

  constructor(names: Iterable<string>) {
    for (const n of names) this.byId.set(wireId(n), n);
  }

  /** The name of an id: the known one, else "#" + hex. */
  name(id: number): string {
    return this.byId.get(id) ?? unknownName(id);
  }
}

/** The names of a cluster spec: its members, its groups and the leader lock. */
export function specNames(
  spec: { members: { name: string }[]; groups: { name: string }[] },
  leaderLock: string,
): string[] {
  return [...spec.members.map((m) => m.name), ...spec.groups.map((g) => g.name), leaderLock];
}
