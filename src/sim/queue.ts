// A binary min-heap of timed events; ties break by insertion order so runs are deterministic.

interface Entry<T> {
  at: number;
  seq: number;
  item: T;
}

/** Events ordered by time, then by the order they were scheduled. */
export class EventQueue<T> {
  private heap: Entry<T>[] = [];
  private seq = 0;

  get size(): number {
    return this.heap.length;
  }

  push(at: number, item: T): void {
    const e = { at, seq: this.seq++, item };
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(e, h[p] as Entry<T>)) break;
      h[i] = h[p] as Entry<T>;
      i = p;
    }
    h[i] = e;
  }

  /** Removes and returns the earliest event. */
  pop(): { at: number; item: T } | undefined {
    const h = this.heap;
    const top = h[0];
    if (!top) return undefined;
    const last = h.pop() as Entry<T>;
    if (h.length > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= h.length) break;
        const r = l + 1;
        const c = r < h.length && this.less(h[r] as Entry<T>, h[l] as Entry<T>) ? r : l;
        if (!this.less(h[c] as Entry<T>, last)) break;
        h[i] = h[c] as Entry<T>;
        i = c;
      }
      h[i] = last;
    }
    return { at: top.at, item: top.item };
  }

  peekTime(): number | undefined {
    return this.heap[0]?.at;
  }

  private less(x: Entry<T>, y: Entry<T>): boolean {
    return x.at < y.at || (x.at === y.at && x.seq < y.seq);
  }
}
