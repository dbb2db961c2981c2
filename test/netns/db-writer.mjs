// The field reports' insert test, as fast as commits return: WRITERS connections each insert unique rows
// (writer, n) through HOST:PORT for MS milliseconds, logging every commit as acknowledged (the server
// said OK), failed (never sent: no connection) or unknown (sent, but no answer: it may have committed).
// Prints "started", then one JSON line: { acked: [[w, n]...], unknown: [[w, n]...], failed, longestGapMs,
// gaps: [[fromMs, toMs]...] over 500ms }.
// Rows carry RUN (one per trial), so trials in one table never look like duplicates of each other.
// With SETTLE_MS (and AFTER_MS), the writers end earlier than MS: SETTLE_MS after the first acknowledgement
// that ends a gap of over 1s starting past AFTER_MS (the takeover after a fault at AFTER_MS).
// Usage: node db-writer.mjs HOST PORT USER PASSWORD WRITERS MS RUN [SETTLE_MS AFTER_MS]
import mariadb from "mariadb";

const [host, port, user, password, writersText, msText, runText, settleText, afterText] = process.argv.slice(2);
const run = Number(runText);
const writers = Number(writersText);
const ms = Number(msText);
const t0 = performance.now();
let end = t0 + ms;
let lastAck = t0;
const acked = [];
const unknown = [];
let failed = 0;
const ackTimes = [];

async function writer(w) {
  let n = 0;
  let conn;
  while (performance.now() < end) {
    if (!conn) {
      try {
        conn = await mariadb.createConnection({
          host,
          port: Number(port),
          user,
          password,
          database: "vigiltest",
          connectTimeout: 500,
          socketTimeout: 3000,
        });
        conn.on("error", () => undefined);
      } catch {
        failed++;
        conn = undefined;
        await new Promise((r) => setTimeout(r, 20));
        continue;
      }
    }
    n++;
    try {
      await conn.query("INSERT INTO t (run, writer, n) VALUES (?, ?, ?)", [run, w, n]);
      acked.push([w, n]);
      const now = performance.now();
      ackTimes.push(now - t0);
      if (settleText !== undefined && lastAck - t0 > Number(afterText) - 1000 && now - lastAck > 1000)
        end = Math.min(end, now + Number(settleText));
      lastAck = Math.max(lastAck, now);
    } catch {
      unknown.push([w, n]);
      try {
        conn.destroy();
      } catch {
        /* gone */
      }
      conn = undefined;
    }
  }
  if (conn) conn.destroy();
}

console.log("started");
await Promise.all(Array.from({ length: writers }, (_, i) => writer(i + 1)));
ackTimes.sort((a, b) => a - b);
let longestGapMs = 0;
const gaps = [];
let prev = 0;
for (const t of [...ackTimes, end - t0]) {
  if (t - prev > longestGapMs) longestGapMs = t - prev;
  if (t - prev > 500) gaps.push([Math.round(prev), Math.round(t)]);
  prev = t;
}
// Exit once the line is written: a pipe takes 64kB at once, and process.exit() right after console.log
// would cut a long line (the acknowledged rows of a 25s run) short.
process.stdout.write(
  `${JSON.stringify({ acked, unknown, failed, longestGapMs: Math.round(longestGapMs), gaps })}\n`,
  () => process.exit(0),
);
