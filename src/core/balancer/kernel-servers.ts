// The real servers of a kernel-forwarded virtual server: configuration, health and draining, turned
// into the KernelSpec the nftables table is built from. Pure; every change says what it means.
import type { VirtualServerConfig } from "../config/schema.js";
import { parseEndpoint } from "../net/address.js";
import type { KernelServer, KernelSpec } from "./kernel-ruleset.js";

/** A real server with its configured address text. */
export interface KernelEntry extends KernelServer {
  address: string;
}

/** What a health change means for the kernel. */
export interface KernelHealthEffect {
  /** The table must be rewritten (the set of servers that take new flows changed). */
  changed: boolean;
  /** Delete the server's flows from conntrack (it failed and the virtual server is not quiescent). */
  dropFlows: boolean;
  /** One line for the log. */
  reason: string;
}

function endpoint(text: string): { ip: string; port: number } {
  const ep = parseEndpoint(text);
  if (!ep) throw new Error(`not an IP:PORT: ${text}`);
  return { ip: ep.ip.text, port: ep.port };
}

/** The real servers of one virtual server under forward: nat | fullnat. Servers start up; health
 * checks decide from there. */
export class KernelServers {
  private entries = new Map<string, KernelEntry>();
  private config!: VirtualServerConfig;

  constructor(config: VirtualServerConfig) {
    this.setConfig(config);
  }

  /** Applies a (reloaded) config: new servers join up, weights change, removed servers drain (no new
   * flows; they go once conntrack holds none of theirs). Returns the addresses that started draining. */
  setConfig(config: VirtualServerConfig): string[] {
    this.config = config;
    const wanted = new Set(config.real_servers.map((r) => r.address));
    for (const r of config.real_servers) {
      const e = this.entries.get(r.address);
      if (e) Object.assign(e, { weight: r.weight, draining: false });
      else
        this.entries.set(r.address, {
          address: r.address,
          ...endpoint(r.address),
          weight: r.weight,
          up: true,
          draining: false,
        });
    }
    const draining: string[] = [];
    for (const e of this.entries.values())
      if (!wanted.has(e.address) && !e.draining) {
        e.draining = true;
        draining.push(e.address);
      }
    return draining;
  }

  /** Records a health transition. */
  setHealth(address: string, up: boolean): KernelHealthEffect {
    const e = this.entries.get(address);
    if (!e || e.up === up) return { changed: false, dropFlows: false, reason: "" };
    e.up = up;
    if (up) return { changed: true, dropFlows: false, reason: `${address} takes new flows again (weight ${e.weight})` };
    if (this.config.quiescent)
      return {
        changed: true,
        dropFlows: false,
        reason: `${address} gets no new flows (quiescent); its open flows may finish`,
      };
    return {
      changed: true,
      dropFlows: true,
      reason: `${address} removed from rotation; its flows are deleted from conntrack`,
    };
  }

  /** A draining server has no flow left: it is gone. True when it was removed. */
  drained(address: string): boolean {
    const e = this.entries.get(address);
    if (!e?.draining) return false;
    this.entries.delete(address);
    return true;
  }

  /** Servers in configuration order, then draining ones. */
  list(): KernelEntry[] {
    return [...this.entries.values()];
  }

  /** The table's input. */
  spec(): KernelSpec {
    const c = this.config;
    const listen = parseEndpoint(c.listen);
    if (!listen) throw new Error(`listen ${c.listen} is not IP:PORT`);
    return {
      name: c.name,
      forward: c.forward === "fullnat" ? "fullnat" : "nat",
      protocol: c.protocol,
      family: listen.ip.family,
      vip: listen.ip.text,
      port: listen.port,
      scheduler: c.scheduler === "rr" || c.scheduler === "sh" ? c.scheduler : "wrr",
      ...(c.persistence !== undefined ? { persistenceMs: c.persistence } : {}),
      ...(c.sorry_server !== undefined ? { sorry: endpoint(c.sorry_server) } : {}),
      servers: this.list().map(({ ip, port, weight, up, draining }) => ({ ip, port, weight, up, draining })),
    };
  }
}
