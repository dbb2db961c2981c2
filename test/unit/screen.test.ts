// The watch screen: on a terminal one screen redrawn in place (home, lines cleared to their end, the
// rest cleared; cut to the terminal's size), elsewhere only the lines that changed.
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { it } from "node:test";
import { Screen } from "../../src/cli/screen.js";

function sink(tty: boolean) {
  const chunks: string[] = [];
  const w = new Writable({
    write(c: Buffer, _e, done) {
      chunks.push(c.toString());
      done();
    },
  });
  return { out: Object.assign(w, { isTTY: tty, columns: 10, rows: 4 }), chunks };
}

it("redraws in place on a terminal, cut to its size", () => {
  const { out, chunks } = sink(true);
  const s = new Screen(out);
  s.draw(["first line is long", "b", "c", "d", "e"]);
  s.draw(["x"]);
  assert.equal(chunks[0], "\x1b[?25l\x1b[2J\x1b[Hfirst lin\x1b[K\r\nb\x1b[K\r\nc\x1b[K\r\n\x1b[J");
  assert.equal(chunks[1], "\x1b[Hx\x1b[K\r\n\x1b[J", "no clear of the whole screen, no scrolling");
});

it("prints only what changed without a terminal", () => {
  const { out, chunks } = sink(false);
  const s = new Screen(out);
  s.changes("t1", ["n1 online", "web running on n1"]);
  s.changes("t2", ["n1 online", "web running on n1"]);
  s.changes("t3", ["n1 OFFLINE", "web running on n2"]);
  assert.deepEqual(chunks, [
    "t1  n1 online\n",
    "t1  web running on n1\n",
    "t3  n1 OFFLINE\n",
    "t3  web running on n2\n",
  ]);
});
