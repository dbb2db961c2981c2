// The TCP proxy of a virtual server against real backends on loopback: every scheduler, persistence,
// retry, the PROXY protocol, half-close either way, servers dying mid-answer, resets, hangs, clients leaving mid-stream, the connection
// limit, the sorry server and quiescent, and no descriptors leaked.
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { readdirSync } from "node:fs";
import { connect, createServer } from "node:net";
import { after, describe, it } from "node:test";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { createLogger } from "../../src/adapters/logger.js";
import { HealthChecker } from "../../src/balancer/health-checker.js";
import { VirtualServer } from "../../src/balancer/virtual-server.js";
import { virtualServerSchema } from "../../src/core/config/schema.js";
import {
  closeAll,
  exchange,
  refusingAddress,
  startBackend,
  stopBackend,
  unansweredAddress,
  type Backend,
} from "../helpers/backends.js";

const log = createLogger().child({}, { level: "silent" });
const started: VirtualServer[] = [];
after(async () => {
  await Promise.all(started.map((v) => v.stop()));
  await closeAll();
});

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** A serving virtual server on a fresh loopback port; `extra` is merged into its config. */
async function serve(
  backends: (Backend | string)[],
  extra: Record<string, unknown> = {},
  weights: number[] = [],
): Promise<{ vs: VirtualServer; port: number }> {
  const port = await freePort();
  const config = virtualServerSchema.parse({
    name: `vs${port}`,
    listen: `127.0.0.1:${port}`,
    real_servers: backends.map((b, i) => ({ address: typeof b === "string" ? b : b.address, weight: weights[i] ?? 1 })),
    check: { type: "tcp", interval: "100ms", timeout: "100ms", rise: 1, fall: 1 },
    ...extra,
  });
  const vs = new VirtualServer(
    config,
    undefined,
    log,
    (c, onTransition) => new HealthChecker({ vs: c, log, onTransition }),
  );
  started.push(vs);
  vs.start();
  await vs.serve();
  return { vs, port };
}

async function names(port: number, n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push((await exchange(port)).data.trim());
  return out;
}

const until = async (what: string, cond: () => boolean, ms = 3000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe("proxy: schedulers over real connections", () => {
  it("rr answers from each server in turn", async () => {
    const bs = await Promise.all(["a", "b", "c"].map((n) => startBackend(n)));
    const { port } = await serve(bs, { scheduler: "rr" });
    assert.deepEqual(await names(port, 6), ["a", "b", "c", "a", "b", "c"]);
  });

  it("wrr follows the weights", async () => {
    const bs = await Promise.all(["a", "b"].map((n) => startBackend(n)));
    const { port } = await serve(bs, { scheduler: "wrr" }, [3, 1]);
    const got = await names(port, 40);
    assert.equal(got.filter((x) => x === "a").length, 30);
    assert.equal(got.filter((x) => x === "b").length, 10);
  });

  it("lc and wlc send new connections away from a server holding open ones", async () => {
    for (const scheduler of ["lc", "wlc"]) {
      const bs = await Promise.all(["a", "b"].map((n) => startBackend(`${scheduler}-${n}`, "echo")));
      const { vs, port } = await serve(bs, { scheduler });
      const held = [connect(port, "127.0.0.1"), connect(port, "127.0.0.1")];
      await until("two connections open", () => vs.status().realServers.reduce((n, r) => n + r.active, 0) === 2);
      const first = vs.status().realServers.map((r) => r.active);
      assert.deepEqual(first, [1, 1], "the first two connections go to different servers");
      held.push(connect(port, "127.0.0.1"));
      await until("three open", () => vs.status().active === 3);
      const busier = vs.status().realServers.find((r) => r.active === 2)?.address;
      held.push(connect(port, "127.0.0.1"));
      await until("four open", () => vs.status().realServers.every((r) => r.active === 2));
      assert.ok(busier);
      for (const s of held) s.destroy();
    }
  });

  it("sh keeps a client on one server", async () => {
    const bs = await Promise.all(["a", "b", "c"].map((n) => startBackend(n)));
    const { port } = await serve(bs, { scheduler: "sh" });
    const got = await names(port, 9);
    assert.equal(new Set(got).size, 1, `all from one server: ${got.join(" ")}`);
  });

  it("persistence keeps a client on its server even under rr", async () => {
    const bs = await Promise.all(["a", "b", "c"].map((n) => startBackend(n)));
    const { port } = await serve(bs, { scheduler: "rr", persistence: "10s" });
    assert.equal(new Set(await names(port, 6)).size, 1);
  });
});

describe("proxy: connecting and relaying", () => {
  it("retries the next server when a connect is refused", async () => {
    const good = await startBackend("good");
    const { vs, port } = await serve([await refusingAddress(), good], {
      scheduler: "rr",
      check: { type: "tcp", interval: "60s", timeout: "1s" },
    });
    assert.deepEqual(await names(port, 4), ["good", "good", "good", "good"]);
    assert.equal(vs.status().refused, 0);
  });

  it("gives up a connect that gets no answer after connect_timeout and retries the next server", async () => {
    const silent = await unansweredAddress();
    after(silent.stop);
    const echo = await startBackend("t-echo", "echo");
    // The health check of the silent server stays in flight for the whole test, so it counts as up.
    const { vs, port } = await serve([silent.address, echo], {
      connect_timeout: "200ms",
      retries: 1,
      check: { type: "tcp", interval: "60s", timeout: "30s" },
    });
    const timed = async () => {
      const t0 = Date.now();
      const r = await exchange(port, "hello", true, 3000);
      return { ...r, ms: Date.now() - t0 };
    };
    const [a, b] = [await timed(), await timed()]; // rr: one of the two goes to the silent server first
    assert.deepEqual([a.data, b.data], ["hello", "hello"]);
    const slow = Math.max(a.ms, b.ms);
    assert.ok(slow >= 190 && slow < 1000, `the retried connection took ${slow}ms`);
    assert.ok(Math.min(a.ms, b.ms) < 150, "the other went straight to the echo server");
    assert.equal(vs.status().refused, 0);
  });

  it("closes a client whose only server never answers after connect_timeout, and one still waiting when the proxy stops", async () => {
    const silent = await unansweredAddress();
    after(silent.stop);
    const { vs, port } = await serve([silent.address], {
      connect_timeout: "150ms",
      retries: 0,
      check: { type: "tcp", interval: "60s", timeout: "30s" },
    });
    const t0 = Date.now();
    const r = await exchange(port, "anyone?", false, 3000);
    assert.equal(r.data, "");
    assert.notEqual(r.error, "timeout");
    assert.ok(Date.now() - t0 >= 140, "not before connect_timeout");
    await until("counted and freed", () => vs.status().refused === 1 && vs.status().active === 0);
    const { vs: waiting, port: port2 } = await serve([silent.address], {
      connect_timeout: "10s",
      check: { type: "tcp", interval: "60s", timeout: "30s" },
    });
    const pending = exchange(port2, "", false, 5000);
    await until("client accepted", () => waiting.status().active === 1);
    const t1 = Date.now();
    await waiting.unserve();
    const closed = await pending;
    assert.notEqual(closed.error, "timeout");
    assert.ok(Date.now() - t1 < 1000, "closed at once, not at connect_timeout");
    assert.equal(waiting.status().active, 0);
  });

  it("says which address it cannot listen on and why (after retrying for an address that may be on its way)", async () => {
    const config = virtualServerSchema.parse({
      name: "nowhere",
      listen: "192.0.2.77:8080",
      real_servers: [{ address: "127.0.0.1:1" }],
    });
    const vs = new VirtualServer(
      config,
      undefined,
      log,
      (c, onTransition) => new HealthChecker({ vs: c, log, onTransition }),
    );
    started.push(vs);
    await assert.rejects(vs.serve(), {
      message: "cannot listen on 192.0.2.77:8080: address not available (EADDRNOTAVAIL)",
    });
    assert.equal(vs.status().serving, false);
  });

  it("closes the client when no server can be reached, and counts it", async () => {
    const { vs, port } = await serve([await refusingAddress()], {
      check: { type: "tcp", interval: "60s", timeout: "1s" },
    });
    const r = await exchange(port, "hello");
    assert.equal(r.data, "");
    assert.equal(vs.status().refused, 1);
  });

  it("passes the client address with PROXY v1 and v2", async () => {
    for (const version of ["v1", "v2"]) {
      const b = await startBackend(`pp-${version}`, "proxy-header");
      const { port } = await serve([b], {
        proxy_protocol: version,
        check: { type: "tcp", interval: "60s", timeout: "1s" },
      });
      const c = connect({ port, host: "127.0.0.1", allowHalfOpen: true });
      await new Promise((r) => c.once("connect", r));
      const clientPort = c.localPort;
      let answer = "";
      c.on("data", (d: Buffer) => (answer += d.toString()));
      c.end("payload");
      await new Promise((r) => c.once("close", r));
      assert.equal(answer, "ok\n");
      const head = b.firstBytes[0] ?? Buffer.alloc(0);
      if (version === "v1")
        assert.match(
          head.toString(),
          new RegExp(`^PROXY TCP4 127\\.0\\.0\\.1 127\\.0\\.0\\.1 ${clientPort} ${port}\\r\\n`),
        );
      else {
        assert.equal(head.subarray(0, 12).toString("hex"), "0d0a0d0a000d0a515549540a");
        assert.equal(head.readUInt16BE(24), clientPort);
        assert.equal(head.readUInt16BE(26), port);
      }
    }
  });

  it("handles half-close: the client's FIN reaches the server, whose answer still reaches the client", async () => {
    const b = await startBackend("half", "half-close");
    const { port } = await serve([b]);
    assert.deepEqual(await exchange(port, "req-"), { data: "partial-req-done\n" });
  });

  it("handles a server that closes its side first: the client reads the answer and EOF, its later bytes still reach the server", async () => {
    const b = await startBackend("first", "close-first");
    const { vs, port } = await serve([b]);
    const c = connect({ port, host: "127.0.0.1", allowHalfOpen: true });
    c.setEncoding("utf8");
    let answer = "";
    c.on("data", (d: string) => (answer += d));
    const closed = new Promise((r) => c.once("close", r));
    await new Promise((r) => c.once("end", r));
    assert.equal(answer, "early\n");
    c.write("late-1 ");
    c.end("late-2");
    // The health checks' connections end there too (with nothing received): look for this one's bytes.
    await until("the server to see the client's late bytes, then its FIN", () => b.received.includes("late-1 late-2"));
    await closed;
    await until("no open connections", () => vs.status().active === 0 && b.open.size === 0);
  });

  it("passes on what a server sent before it died half-way through an answer, then closes the client", async () => {
    const b = await startBackend("dies", "die-mid-answer");
    const { vs, port } = await serve([b]);
    const r = await exchange(port, "", false);
    assert.equal(r.data.length, 100_000);
    await until("no open connections", () => vs.status().active === 0 && b.open.size === 0);
  });

  it("passes a backend's reset on to the client and frees the connection", async () => {
    const b = await startBackend("rst", "reset");
    const { vs, port } = await serve([b]);
    const r = await exchange(port, "boom", false);
    assert.equal(r.data, "");
    await until("no open connections", () => vs.status().active === 0 && vs.status().realServers[0]?.active === 0);
  });

  it("closes a connection idle longer than idle_timeout", async () => {
    const b = await startBackend("hang", "hang");
    const { vs, port } = await serve([b], { idle_timeout: "300ms" });
    const t0 = Date.now();
    const r = await exchange(port, "anyone?", false, 5000);
    assert.notEqual(r.error, "timeout");
    assert.ok(Date.now() - t0 >= 250, "not before the idle timeout");
    await until("backend side closed", () => b.open.size === 0 && vs.status().active === 0);
  });

  it("moves 16 MiB each way intact while a slow client and a slow server make the proxy hold back, through garbage collections", async () => {
    // Slow readers on both sides queue the proxy's writes, and full collections run every few ms: a
    // queued write whose bytes nothing referenced any more was sent from freed memory (a corrupted
    // upload, first seen on a loaded machine).
    setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as () => void;
    const collecting = setInterval(gc, 2);
    after(() => clearInterval(collecting));
    const payload = randomBytes(16 * 1024 * 1024);
    const digest = (b: Buffer | Buffer[]) =>
      createHash("sha256")
        .update(Array.isArray(b) ? Buffer.concat(b) : b)
        .digest("hex");
    let uploaded = "";
    const server = createServer((s) => {
      s.on("error", () => undefined); // health checks connect and reset
      const got: Buffer[] = [];
      s.on("data", (d: Buffer) => {
        got.push(d);
        if (got.length % 16 === 0) {
          s.pause();
          setTimeout(() => s.resume(), 5);
        }
      });
      s.on("end", () => void (uploaded = digest(got)));
      s.end(payload);
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    after(() => void server.close());
    const { vs, port } = await serve([`127.0.0.1:${(server.address() as { port: number }).port}`], {
      check: { type: "tcp", interval: "60s", timeout: "1s" },
    });
    const received = await new Promise<Buffer[]>((resolve, reject) => {
      const s = connect(port, "127.0.0.1");
      const chunks: Buffer[] = [];
      s.on("data", (d: Buffer) => {
        chunks.push(d);
        if (chunks.length % 16 === 0) {
          s.pause();
          setTimeout(() => s.resume(), 5);
        }
      });
      s.on("error", reject);
      s.on("end", () => resolve(chunks));
      s.end(payload);
    });
    assert.equal(digest(received), digest(payload), "download intact");
    await until("upload complete", () => uploaded !== "", 5000);
    clearInterval(collecting);
    assert.equal(uploaded, digest(payload), "upload intact");
    await until("connection closed", () => vs.status().active === 0);
    assert.equal(vs.status().bytesOut, payload.length);
    assert.equal(vs.status().bytesIn, payload.length);
  });

  it("frees the backend connection when a client leaves mid-stream", async () => {
    const b = await startBackend("stream", "stream");
    const { vs, port } = await serve([b]);
    await new Promise<void>((resolve) => {
      const s = connect(port, "127.0.0.1");
      let got = 0;
      s.on("data", (d) => {
        got += d.length;
        if (got > 4 * 1024 * 1024) {
          s.destroy();
          resolve();
        }
      });
    });
    await until("backend socket closed", () => b.open.size === 0 && vs.status().active === 0);
    assert.ok(vs.status().bytesOut > 4 * 1024 * 1024);
  });

  it("refuses connections beyond max_connections cleanly and counts them", async () => {
    const b = await startBackend("busy", "echo");
    const { vs, port } = await serve([b], { max_connections: 5 });
    const held = Array.from({ length: 5 }, () => connect(port, "127.0.0.1"));
    await until("five open", () => vs.status().active === 5);
    const extra = await Promise.all(Array.from({ length: 3 }, () => exchange(port, "x", false, 2000)));
    for (const r of extra) assert.notEqual(r.error, "timeout", "an extra connection is closed at once");
    assert.equal(vs.status().refused, 3);
    for (const s of held) s.destroy();
    await until("all closed", () => vs.status().active === 0);
    assert.equal((await exchange(port, "again", true)).data, "again");
  });
});

describe("proxy: health, sorry server and quiescent", () => {
  it("sends clients to the sorry server only while no real server is up", async () => {
    const real = await startBackend("real");
    const sorry = await startBackend("sorry");
    const { vs, port } = await serve([real], { sorry_server: sorry.address });
    assert.deepEqual(await names(port, 2), ["real", "real"]);
    await stopBackend(real);
    await until("real server down", () => vs.status().realServers[0]?.up === false);
    assert.equal(vs.status().sorry?.inUse, true);
    assert.deepEqual(await names(port, 2), ["sorry", "sorry"]);
    real.server.listen(real.port, "127.0.0.1");
    await until("real server up", () => vs.status().realServers[0]?.up === true);
    assert.deepEqual(await names(port, 2), ["real", "real"]);
  });

  for (const quiescent of [true, false]) {
    it(`quiescent: ${quiescent} ${quiescent ? "keeps" : "closes"} a failed server's open connections`, async () => {
      const b = await startBackend(`q-${quiescent}`, "echo");
      const other = await startBackend(`o-${quiescent}`, "name");
      const { vs, port } = await serve([b, other], { quiescent, scheduler: "rr" }, [1, 0]);
      const s = connect(port, "127.0.0.1");
      let closed = false;
      s.on("close", () => (closed = true));
      s.on("error", () => undefined);
      await until("connected", () => vs.status().realServers[0]?.active === 1);
      b.server.close();
      await until("server down", () => vs.status().realServers[0]?.up === false);
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(closed, !quiescent);
      if (quiescent) {
        const echoed = await new Promise<string>((r) => {
          s.once("data", (d) => r(d.toString()));
          s.write("still here");
        });
        assert.equal(echoed, "still here");
        assert.equal(vs.status().realServers[0]?.effectiveWeight, 0);
      }
      s.destroy();
    });
  }
});

describe("proxy: no leaks", () => {
  it("returns to its descriptor count after 1500 connections with resets, hangs and early exits", async () => {
    const fds = async () => {
      let least = Infinity;
      for (let i = 0; i < 10; i++) {
        least = Math.min(least, readdirSync("/proc/self/fd").length);
        await new Promise((r) => setTimeout(r, 20));
      }
      return least; // other virtual servers' health checks open sockets now and then
    };
    const echo = await startBackend("l-echo", "echo");
    const rst = await startBackend("l-rst", "reset");
    const { vs, port } = await serve([echo, rst, await refusingAddress()], {
      scheduler: "rr",
      idle_timeout: "200ms",
      check: { type: "tcp", interval: "60s", timeout: "1s" },
    });
    await exchange(port, "warm");
    const before = await fds();
    for (let round = 0; round < 15; round++) {
      await Promise.all(
        Array.from({ length: 100 }, (_, i) => {
          if (i % 10 === 0) {
            const s = connect(port, "127.0.0.1");
            s.on("error", () => undefined);
            s.on("connect", () => s.destroy());
            return new Promise((r) => s.on("close", r));
          }
          return exchange(port, "data", i % 3 !== 0, 3000);
        }),
      );
    }
    await until(
      "all proxied connections closed",
      () => vs.status().active === 0 && echo.open.size === 0 && rst.open.size === 0,
      5000,
    );
    assert.ok(vs.status().total >= 1500);
    const afterwards = await fds();
    assert.ok(afterwards <= before + 1, `descriptors: ${before} before, ${afterwards} after`);
  });
});
