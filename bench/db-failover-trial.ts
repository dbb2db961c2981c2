// What bench/db-failover.ts measures per trial, for vigil and for the keepalived setup alike, and the
// watch of the VIP's holders during a trial.
import { setTimeout as sleep } from "node:timers/promises";
import type { NetnsCluster } from "../test/helpers/netns-cluster.js";

/** The faults, by vigil's names ("vigil-kill" is keepalived-kill for the keepalived setup). "rejoin-crash":
 * the primary's mariadbd SIGKILLed, then the new primary's while the old one is still rejoining. */
export const ALL_FAULTS = [
  "crash",
  "vigil-kill",
  "link-down",
  "partition",
  "freeze",
  "switchover",
  "rejoin-crash",
] as const;
export type Fault = (typeof ALL_FAULTS)[number];
/** Faults the keepalived pair has no counterpart for (two hosts, no rejoin). */
export const VIGIL_ONLY: readonly Fault[] = ["rejoin-crash"];
/** Writers per trial. */
export const WRITERS = 4;

/** One trial's result. */
export interface Trial {
  fault: Fault;
  /** Acknowledged rows missing (vigil: on any server; keepalived: on the new primary). */
  lost: number;
  dup: number;
  gapMs: number;
  acked: number;
  /** Whether two hosts held the VIP at one instant (from the kernel's address events). */
  double: boolean;
  /** For how long in all, ms. */
  doubleMs: number;
}

/** The p-th percentile (nearest rank). */
export const pct = (xs: number[], p: number): number =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)] ?? NaN;

/** The VIP's holders during a trial, from the kernel's own address events: `ip -ts monitor address` on
 * eth0 in every host's namespace (one clock for all), so an overlap is measured to the microsecond, not
 * sampled. stop() resolves with whether two or more hosts held the VIP at one instant, for how long in
 * all (ms), and every host that held it. A monitor that dies early is a failure of the harness. */
export function watchHolders(c: NetnsCluster): {
  stop: () => Promise<{ double: boolean; doubleMs: number; seen: string[] }>;
} {
  const events: { at: number; host: string; add: boolean }[] = [];
  const pattern = new RegExp(`^\\[(\\S+)\\] (Deleted )?\\d+: eth0\\s+inet ${c.vip.replaceAll(".", "\\.")}/`);
  const monitors = c.hosts.map((host) => {
    let rest = "";
    const child = c.lab.start(host, "ip", ["-ts", "monitor", "address", "dev", "eth0"], {
      log: (chunk) => {
        const lines = (rest + chunk).split("\n");
        rest = lines.pop() ?? "";
        for (const line of lines) {
          const m = pattern.exec(line);
          if (m) events.push({ at: Date.parse(`${m[1]}Z`), host, add: m[2] === undefined });
        }
      },
    });
    return child;
  });
  const ready = sleep(150).then(() => ({ at: Date.now(), holders: c.vipHolders() }));
  return {
    stop: async () => {
      const start = await ready;
      await sleep(100);
      const died = monitors.filter((m) => m.exitCode !== null || m.signalCode !== null);
      for (const m of monitors) m.kill("SIGKILL");
      if (died.length > 0) throw new Error(`db-failover: ${died.length} VIP monitor(s) exited during the trial`);
      const held = new Set(start.holders);
      const seen = new Set(start.holders);
      let doubleMs = 0;
      let double = held.size > 1;
      let since = start.at;
      for (const e of events.filter((x) => x.at >= start.at).sort((a, b) => a.at - b.at)) {
        if (held.size > 1) doubleMs += e.at - since;
        since = e.at;
        if (e.add) held.add(e.host);
        else held.delete(e.host);
        if (e.add) seen.add(e.host);
        double ||= held.size > 1;
      }
      if (held.size > 1) doubleMs += Date.now() - since;
      return { double, doubleMs: Math.round(doubleMs), seen: [...seen] };
    },
  };
}
