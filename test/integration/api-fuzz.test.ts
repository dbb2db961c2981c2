// Fuzzes the API of a real `vigil run` over raw TCP (net.connect, so nothing normalizes what is sent):
// thousands of malformed request lines, methods, paths (bad percent-encoding, `//`, NUL, very long,
// `constructor`), headers (wrong Host, huge or many headers, contradicting lengths) and bodies, plus
// byte-mutated valid requests and a slowloris of half-sent headers beyond the connection cap. Afterwards
// the daemon must be the same process, serve /status, and report the same leader, term and groups;
// no request may have been answered 500 (a handler that threw).
import assert from "node:assert/strict";
import { connect } from "node:net";
import { after, before, describe, it } from "node:test";
import { LocalCluster, type NodeStatus } from "../helpers/local-cluster.js";

/** A small seeded PRNG (mulberry32), so a failure can be replayed from its seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SEED = Number(process.env.VIGIL_FUZZ_SEED ?? 1313);
const REQUESTS = Number(process.env.VIGIL_FUZZ_REQUESTS ?? 4000);
const CONCURRENCY = 12;

const METHODS = [
  "GET",
  "POST",
  "HEAD",
  "PUT",
  "DELETE",
  "OPTIONS",
  "TRACE",
  "CONNECT",
  "PATCH",
  "get",
  "G\x00T",
  "",
  "PRI",
  "GET GET",
  "\xff\xfe",
  "X".repeat(300),
];
const PATHS = [
  "/",
  "//",
  "///",
  "/status",
  "/status/",
  "//status",
  "/events?limit=-1",
  "/events?limit=1e309",
  "/events?limit=%ZZ",
  "/metrics",
  "/health/primary/%E0",
  "/health/primary/%",
  "/health/primary/%00",
  "/health/primary/a%2Fb",
  "/health/primary/constructor",
  "/health/primary/__proto__",
  "/health/primary/toString",
  "/health/primary/db",
  "/groups/%ZZ/cleanup",
  "/groups/constructor/cleanup",
  "/groups/__proto__/move?node=constructor",
  "/groups/db/move?node=%E0",
  "/groups/db/move",
  "/nodes/__proto__/standby",
  "/nodes/n1/standby",
  "/nodes/%C0%AF/online",
  "/maintenance/on",
  "/maintenance/off",
  "/debug/crash-worker",
  "/debug/block-main?ms=99999999",
  "/../../etc/passwd",
  "/%2e%2e/%2e%2e/etc/passwd",
  "*",
  "http://evil.example/status",
  "status",
  "/\x00",
  "/st\x00atus",
  "/app.js",
  "/favicon.ico",
  "/?" + "a=1&".repeat(500),
  "/" + "a".repeat(2100),
  "/" + "%41".repeat(4000),
  "/" + "a/".repeat(3000),
  "/\u00e9\u4e2d",
  "/%F0%9F%98%80",
  "/%ED%A0%80",
];
const VERSIONS = ["HTTP/1.1", "HTTP/1.0", "HTTP/2.0", "HTTP/9.9", "HTTP/1.1x", "", "http/1.1", "HTTP/1.1 extra"];
const HOSTS = [
  "127.0.0.1",
  "localhost",
  "evil.example",
  "",
  "[::1",
  "127.0.0.1:99999",
  "a".repeat(300),
  "\x00",
  "evil.example\r\nX-Injected: 1",
  "127.0.0.1, evil.example",
  "vigil.example.com",
];
const HEADER_SETS: (() => string)[] = [
  () => "",
  () => "Content-Length: 5\r\n",
  () => "Content-Length: -1\r\n",
  () => "Content-Length: 99999999999999999999\r\n",
  () => "Content-Length: 3\r\nContent-Length: 4\r\n",
  () => "Transfer-Encoding: chunked\r\n",
  () => "Transfer-Encoding: chunked\r\nContent-Length: 3\r\n",
  () => "Transfer-Encoding: gzip, chunked\r\n",
  () => "Authorization: Bearer \xa0\r\n",
  () => "Authorization: Bearer \r\n",
  () => "Authorization: Bearer wrong-token\r\n",
  () => "Authorization: Basic Og==\r\n",
  () => "Expect: 100-continue\r\n",
  () => "Upgrade: websocket\r\nConnection: Upgrade\r\n",
  () => `X-Big: ${"b".repeat(20_000)}\r\n`,
  () => Array.from({ length: 200 }, (_, i) => `X-H${i}: v\r\n`).join(""),
  () => "Bad Header Line\r\n",
  () => " folded: continuation\r\n",
  () => "X-Nul: a\x00b\r\n",
  () => "Host: second.example\r\n",
];
const BODIES = ["", "hello", "5\r\nhello\r\n0\r\n\r\n", "zz\r\n", "\x00".repeat(100), "x".repeat(70_000)];

const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;

const GOOD_HOSTS = ["127.0.0.1", "localhost", "evil.example", "127.0.0.1:1"];
const GOOD_HEADERS = [
  "",
  "Authorization: Bearer \xa0\r\n",
  "Authorization: Bearer wrong-token\r\n",
  "Content-Length: 0\r\n",
];

/** One fuzzed request as raw bytes: half well-framed HTTP/1.1 with nasty paths, Hosts and tokens (so
 * they reach the handlers), the rest malformed at every level, a quarter of those with flipped bytes. */
function fuzzedRequest(r: () => number): Buffer {
  if (r() < 0.5) {
    const method = pick(r, ["GET", "POST", "HEAD"]);
    const path =
      r() < 0.5
        ? pick(r, PATHS)
        : `/${pick(r, ["groups", "nodes", "health/primary"])}/${pick(r, PATHS).slice(1)}/${pick(r, ["cleanup", "standby", "move?node=n1", ""])}`;
    const text = `${method} ${path} HTTP/1.1\r\nHost: ${pick(r, GOOD_HOSTS)}\r\n${pick(r, GOOD_HEADERS)}Connection: close\r\n\r\n`;
    return Buffer.from(text, "latin1");
  }
  const kind = r();
  if (kind < 0.1) return Buffer.from(Array.from({ length: Math.floor(r() * 400) }, () => Math.floor(r() * 256)));
  const line = `${pick(r, METHODS)} ${pick(r, PATHS)} ${pick(r, VERSIONS)}`;
  const host = r() < 0.15 ? "" : `Host: ${pick(r, HOSTS)}\r\n`;
  const headers = pick(r, HEADER_SETS)() + (r() < 0.3 ? pick(r, HEADER_SETS)() : "");
  const text = `${line}\r\n${host}${headers}${r() < 0.5 ? "Connection: close\r\n" : ""}\r\n${pick(r, BODIES)}`;
  const bytes = Buffer.from(text, "latin1");
  if (kind < 0.25) for (let i = 0; i < 3; i++) bytes[Math.floor(r() * bytes.length)] = Math.floor(r() * 256);
  return bytes;
}

/** Sends bytes on a fresh connection; resolves with the status of the first answer (0: none). */
function send(port: number, bytes: Buffer): Promise<number> {
  return new Promise((resolve) => {
    const sock = connect(port, "127.0.0.1");
    let head = "";
    sock.on("data", (d) => {
      if (head.length < 64) head += d.toString("latin1");
    });
    sock.on("error", () => undefined);
    sock.on("close", () => resolve(Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0)));
    sock.setTimeout(2000, () => sock.destroy());
    sock.write(bytes, () => sock.end());
  });
}

/** What must not change: leader, term, groups and what this node holds. */
const essence = (s: NodeStatus | undefined) =>
  s && { name: s.name, leader: s.leader, term: s.term, groups: s.groups, holds: s.holds };

let c: LocalCluster;
before(async () => {
  c = await LocalCluster.start({ nodes: 1 });
  await c.waitFor("db running on n1", async () => ((await c.owner("db")) === "n1" ? true : undefined));
});
after(async () => {
  await c?.stop();
});

describe("API fuzz against a real daemon", () => {
  it(`survives ${REQUESTS} malformed requests and a slowloris, unchanged (seed ${SEED})`, async (t) => {
    const pid = c.pid("n1");
    const before = essence(await c.status("n1"));
    assert.ok(before?.leader === "n1", JSON.stringify(before));
    const port = Number(c.apiAddress("n1").split(":")[1]);
    const r = prng(SEED);
    const requests = Array.from({ length: REQUESTS }, () => fuzzedRequest(r));
    const statuses = new Map<number, number>();
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < requests.length) {
          const req = requests[next++] as Buffer;
          const t0 = Date.now();
          const status = await send(port, req);
          if (process.env.VIGIL_FUZZ_DEBUG && Date.now() - t0 > 500)
            process.stderr.write(
              `slow ${Date.now() - t0}ms ${status} ${JSON.stringify(req.toString("latin1").slice(0, 150))}\n`,
            );
          statuses.set(status, (statuses.get(status) ?? 0) + 1);
        }
      }),
    );
    const seen = JSON.stringify(Object.fromEntries(statuses));
    t.diagnostic(`answers by status (0: closed without one): ${seen}`);
    assert.equal(statuses.get(500) ?? 0, 0, `no handler may throw: ${seen}`);
    assert.ok((statuses.get(400) ?? 0) > REQUESTS / 10, `most malformed requests are 400: ${seen}`);
    assert.ok((statuses.get(421) ?? 0) > REQUESTS / 20, `wrong Hosts are 421: ${seen}`);
    assert.ok((statuses.get(404) ?? 0) > REQUESTS / 20, `unknown paths and names are 404: ${seen}`);

    // Slowloris beyond the connection cap: 100 connections that never finish their headers. Those past
    // the cap are closed at once; the rest by the 5s headers timeout; then the API answers again.
    const slow = Array.from({ length: 100 }, () => {
      const sock = connect(port, "127.0.0.1");
      sock.on("error", () => undefined);
      sock.resume(); // read the server's 408 and its close
      sock.setTimeout(15_000, () => sock.destroy());
      sock.write("GET /status HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ");
      return new Promise<number>((resolve) => {
        const t0 = Date.now();
        sock.on("close", () => resolve(Date.now() - t0));
      });
    });
    const closedAfter = await Promise.all(slow);
    assert.ok(closedAfter.filter((ms) => ms < 1000).length >= 30, "connections past the cap are closed at once");
    assert.ok(Math.max(...closedAfter) < 9000, `the headers timeout closes the rest: ${Math.max(...closedAfter)}ms`);

    assert.equal(c.procs.get("n1")?.exitCode, null, c.tail());
    assert.equal(c.pid("n1"), pid);
    process.kill(pid, 0);
    const after = essence(await c.waitFor("/status to answer", () => c.status("n1"), 5000));
    assert.deepEqual(after, before, c.tail());
  });
});
