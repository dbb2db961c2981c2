// One fixed screen redrawn in place on a terminal (no scrolling: cursor home, each line cleared to its
// end, the rest of the screen cleared), or, without a terminal, only what changed, one line each.
import type { Writable } from "node:stream";

/** Where a watch writes: a terminal (redrawn in place) or anything else (changed lines only). */
export class Screen {
  private shown = new Set<string>();
  private started = false;

  constructor(private out: Writable & { isTTY?: boolean; columns?: number; rows?: number }) {}

  get tty(): boolean {
    return this.out.isTTY === true;
  }

  /** Draws `lines` as the whole screen (terminal only), cut to the terminal's size. */
  draw(lines: readonly string[]): void {
    const cols = this.out.columns ?? 120;
    const rows = this.out.rows ?? 50;
    // One column spare (no pending wrap), and CR LF: a terminal in raw mode (the demo's keys) does not
    // turn LF into CR LF.
    const fit = lines
      .slice(0, Math.max(1, rows - 1))
      .map((l) => ([...l].length >= cols ? [...l].slice(0, cols - 1).join("") : l));
    const prefix = this.started ? "\x1b[H" : "\x1b[?25l\x1b[2J\x1b[H";
    this.started = true;
    this.out.write(`${prefix}${fit.map((l) => `${l}\x1b[K`).join("\r\n")}\r\n\x1b[J`);
  }

  /** Without a terminal: prints each of `facts` not printed the last time, with `stamp` before it. */
  changes(stamp: string, facts: readonly string[]): void {
    for (const f of facts) if (!this.shown.has(f)) this.out.write(`${stamp}  ${f}\n`);
    this.shown = new Set(facts);
  }

  /** Shows the cursor again (terminal). */
  end(): void {
    if (this.tty && this.started) this.out.write("\x1b[?25h");
  }
}
