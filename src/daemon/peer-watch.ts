// What the timeline needs to know of peers, as exactly as the cluster thread knows it: the groups a
// peer's heartbeats say it runs, from the heartbeat that first said so, and the time of its last
// heartbeat when it is no longer heard (its band ends there, not a lease later).

/** A peer's state changed: heard running `running` at `at`, or (alive false) last heard at `at`. */
export interface PeerChange {
  name: string;
  at: number;
  alive: boolean;
  running: string[];
}

interface Seen {
  key: string;
  heardAt: number;
  alive: boolean;
}

/** Tracks each peer's reported groups and last heartbeat (wall-clock ms). */
export class PeerWatch {
  private seen = new Map<string, Seen>();

  /** A heartbeat from `name` saying it runs `running`, at `at`; a change when it differs. */
  heard(name: string, running: readonly string[], at: number): PeerChange | undefined {
    const key = [...running].sort().join(",");
    const s = this.seen.get(name);
    this.seen.set(name, { key, heardAt: at, alive: true });
    if (s && s.alive && s.key === key) return undefined;
    return { name, at, alive: true, running: key ? key.split(",") : [] };
  }

  /** The core's view of which peers are alive; a change for each that was heard and is not any more. */
  liveness(peers: readonly { name: string; alive: boolean }[]): PeerChange[] {
    const out: PeerChange[] = [];
    for (const p of peers) {
      const s = this.seen.get(p.name);
      if (p.alive || !s?.alive) continue;
      s.alive = false;
      out.push({ name: p.name, at: s.heardAt, alive: false, running: [] });
    }
    return out;
  }
}
