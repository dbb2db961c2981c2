// The virtual IPs a config file names, read from the parsed document even when it does not validate as
// a whole: `vigil release-vips` must still find the addresses to remove after someone broke the file.
import { parseCidr } from "../net/address.js";

/** One `vip` resource of the config. */
export interface ConfiguredVip {
  group: string;
  /** Address with prefix, as written (e.g. 10.77.0.100/24). */
  address: string;
  iface: string;
}

/** The interface names `vip` resources accept (as the schema). */
const IFACE = /^[A-Za-z0-9_.:@-]{1,15}$/;

function entries(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

function field(v: unknown, key: string): unknown {
  return typeof v === "object" && v !== null ? (v as Record<string, unknown>)[key] : undefined;
}

/** Every `vip` resource with a well-formed address and interface, in file order, and one sentence for
 * each `vip` resource that had to be skipped (so nothing is removed on a guess). */
export function configuredVips(raw: unknown): { vips: ConfiguredVip[]; skipped: string[] } {
  const vips: ConfiguredVip[] = [];
  const skipped: string[] = [];
  entries(field(raw, "groups")).forEach((g, gi) => {
    const group = typeof field(g, "name") === "string" ? (field(g, "name") as string) : `groups[${gi}]`;
    entries(field(g, "resources")).forEach((r, ri) => {
      if (field(r, "type") !== "vip") return;
      const address = field(r, "address");
      const iface = field(r, "interface");
      if (typeof address !== "string" || !parseCidr(address))
        skipped.push(
          `groups[${gi}].resources[${ri}] (${group}): address ${JSON.stringify(address)} is not an address with prefix; skipped`,
        );
      else if (typeof iface !== "string" || !IFACE.test(iface))
        skipped.push(
          `groups[${gi}].resources[${ri}] (${group}): interface ${JSON.stringify(iface)} is not an interface name; skipped`,
        );
      else if (!vips.some((v) => v.address === address && v.iface === iface)) vips.push({ group, address, iface });
    });
  });
  return { vips, skipped };
}
