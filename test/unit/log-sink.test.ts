// The log sink never throws, blocks or loops when its destination fails: /dev/full (ENOSPC) and a pipe
// whose reader is gone (EPIPE) are counted, the lines dropped, and memory stays bounded; once writes
// succeed again one note says how many lines were lost.
import assert from "node:assert/strict";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawn } from "node:child_process";
import { describe, it } from "node:test";
import { LogSink } from "../../src/adapters/log-sink.js";

const settle = () => new Promise((r) => setTimeout(r, 100));

describe("LogSink", () => {
  it("counts ENOSPC on /dev/full and drops the lines", async () => {
    const fd = openSync("/dev/full", "w");
    try {
      const sink = new LogSink(fd);
      for (let i = 0; i < 100; i++) assert.equal(sink.write(`line ${i}\n`), true);
      await settle();
      assert.ok((sink.failures.errors.ENOSPC ?? 0) >= 1, JSON.stringify(sink.failures));
      assert.equal(sink.failures.lostLines, 100);
      sink.write("at exit\n");
      sink.flushSync();
      await settle();
    } finally {
      closeSync(fd);
    }
  });

  it("counts EPIPE on a pipe whose reader is gone", async () => {
    // A child logs to its stdout, a pipe whose read end this process closes at once; it reports its
    // failures on stderr and must exit by itself.
    const sinkModule = new URL("../../src/adapters/log-sink.ts", import.meta.url).pathname;
    const child = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        "-e",
        `import { LogSink } from ${JSON.stringify(sinkModule)};
         const s = new LogSink(1);
         setTimeout(() => { for (let i = 0; i < 10; i++) s.write("x\\n"); }, 500);
         setTimeout(() => process.stderr.write(JSON.stringify(s.failures)), 1000);`,
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    child.stdout.destroy();
    let err = "";
    child.stderr.on("data", (c: Buffer) => (err += c.toString()));
    const code = await new Promise((r) => child.once("exit", r));
    assert.equal(code, 0, err);
    const failures = JSON.parse(err) as { errors: Record<string, number>; lostLines: number };
    assert.ok((failures.errors.EPIPE ?? 0) >= 1, err);
    assert.equal(failures.lostLines, 10);
  });

  it("keeps at most maxBytes waiting and notes what was lost once writing works", async () => {
    const dir = mkdtempSync(join(tmpdir(), "vigil-logsink-"));
    const file = join(dir, "log");
    const fd = openSync(file, "w");
    try {
      const notes: number[] = [];
      const sink = new LogSink(fd, (lost) => notes.push(lost), 100);
      for (let i = 0; i < 50; i++) sink.write("0123456789\n"); // 550 bytes into a 100-byte bound
      await settle();
      assert.ok(sink.failures.lostLines > 0);
      sink.write("after\n");
      await settle();
      assert.deepEqual(notes, [sink.failures.lostLines]);
      assert.match(readFileSync(file, "utf8"), /after\n$/);
    } finally {
      closeSync(fd);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
