// Resolves a Unix group name to its gid from /etc/group (Node has no getgrnam). A number is taken as
// a gid as it is.
import { readFileSync } from "node:fs";

/** The gid of `group` (a name or a number); throws saying what to do when there is no such group. */
export function groupId(group: string, groupFile = "/etc/group"): number {
  if (/^\d+$/.test(group)) return Number(group);
  let text: string;
  try {
    text = readFileSync(groupFile, "utf8");
  } catch (err) {
    throw new Error(`cannot read ${groupFile} to find group ${group}: ${(err as Error).message}`);
  }
  for (const line of text.split("\n")) {
    const [name, , gid] = line.split(":");
    if (name === group && gid !== undefined && /^\d+$/.test(gid)) return Number(gid);
  }
  throw new Error(`api.group: no group named "${group}" in ${groupFile}; create it (groupadd ${group}) or give a gid`);
}
