// heartbeat setups often ran ldirectord from haresources (`ldirectord::ldirectord.cf`): its virtual
// servers join the heartbeat import, so the VIP group and the balancing land in one config.
import type { ImportResult } from "./types.js";

/** `base` with the virtual servers of `ld` (an ldirectord import), their comments and notes; the note
 * that told the user to import ldirectord.cf by hand is dropped. */
export function mergeVirtualServers(base: ImportResult, ld: ImportResult, source: string): ImportResult {
  const servers = (ld.config.virtual_servers as unknown[] | undefined) ?? [];
  if (servers.length === 0) return { ...base, notes: [...base.notes, ...ld.notes] };
  return {
    config: { ...base.config, virtual_servers: servers },
    comments: [
      ...base.comments,
      { path: ["virtual_servers"], text: `from ${source}, which haresources ran as ldirectord` },
      ...ld.comments.filter((c) => c.path[0] === "virtual_servers"),
    ],
    notes: [...base.notes.filter((n) => !/^ldirectord(::\S*)?: vigil balances itself/.test(n.text)), ...ld.notes],
    header: [
      ...base.header.slice(0, 1),
      `Virtual servers from ${source} (ldirectord, run from haresources).`,
      ...base.header.slice(1),
    ],
  };
}
