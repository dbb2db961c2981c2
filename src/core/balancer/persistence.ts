// `persistence`: a client address keeps its real server for a while after its last connection, as
// LVS persistent templates do.

/** Which real server each recent client used, until `timeoutMs` after its last connection ended. */
export class PersistenceTable {
  private entries = new Map<string, { address: string; open: number; expires: number }>();

  constructor(private timeoutMs: number) {}

  /** The server `clientIp` is bound to, if the binding is still alive. */
  lookup(clientIp: string, now: number): string | undefined {
    const e = this.entries.get(clientIp);
    if (!e) return undefined;
    if (e.open === 0 && e.expires <= now) {
      this.entries.delete(clientIp);
      return undefined;
    }
    return e.address;
  }

  /** A connection from `clientIp` to `address` opened. */
  opened(clientIp: string, address: string, now: number): void {
    const e = this.entries.get(clientIp);
    if (e && e.address === address) e.open++;
    else this.entries.set(clientIp, { address, open: 1, expires: now + this.timeoutMs });
    if (this.entries.size % 1024 === 0) this.sweep(now);
  }

  /** A connection from `clientIp` to `address` closed: the binding lasts `timeoutMs` from now. */
  closed(clientIp: string, address: string, now: number): void {
    const e = this.entries.get(clientIp);
    if (!e || e.address !== address) return;
    e.open = Math.max(0, e.open - 1);
    e.expires = now + this.timeoutMs;
  }

  /** Drops the bindings to `address` (it went down or was removed). */
  forget(address: string): void {
    for (const [ip, e] of this.entries) if (e.address === address) this.entries.delete(ip);
  }

  /** Number of live bindings. */
  get size(): number {
    return this.entries.size;
  }

  private sweep(now: number): void {
    for (const [ip, e] of this.entries) if (e.open === 0 && e.expires <= now) this.entries.delete(ip);
  }
}
