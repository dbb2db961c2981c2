// Health checks against real local servers on 127.0.0.1: TCP listeners, HTTP and HTTPS servers (a
// self-signed certificate made with openssl), real scripts; and the HealthChecker's rise/fall,
// logging and scheduling over them.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { createServer as createTcpServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it, type TestContext } from "node:test";
import type { TLSSocket } from "node:tls";
import { pino } from "pino";
import { checkExec } from "../../src/balancer/checks/exec.js";
import { checkHttp, type HttpCheckOptions } from "../../src/balancer/checks/http.js";
import type { CheckConfig } from "../../src/balancer/checks/run.js";
import { checkTcp } from "../../src/balancer/checks/tcp.js";
import { HealthChecker } from "../../src/balancer/health-checker.js";

const dir = mkdtempSync(join(tmpdir(), "vigil-checks-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const LOCAL = "127.0.0.1";

/** Listens on 127.0.0.1 (`port` 0: any free port); the test closes it and its connections at its end. */
async function listen(t: TestContext, server: Server, port = 0, host = LOCAL): Promise<number> {
  const sockets = new Set<Socket>();
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => server.once("error", reject).listen(port, host, () => resolve()));
  t.after(() => closeServer(server, sockets));
  return (server.address() as { port: number }).port;
}

function closeServer(server: Server, sockets: Set<Socket>): Promise<void> {
  for (const s of sockets) s.destroy();
  return new Promise((resolve) => (server.listening ? server.close(() => resolve()) : resolve()));
}

/** An HTTP server answering with `handler`; `seen` records each request. */
async function httpServer(t: TestContext, handler: (req: IncomingMessage, res: ServerResponse) => void) {
  const seen: { method?: string; url?: string; host?: string; at: number }[] = [];
  const server = createHttpServer((req, res) => {
    seen.push({ method: req.method, url: req.url, host: req.headers.host, at: performance.now() });
    handler(req, res);
  });
  const port = await listen(t, server);
  return { port, seen };
}

/** A port nothing listens on: bound once, then closed. */
async function closedPort(): Promise<number> {
  const s = createTcpServer();
  await new Promise<void>((resolve) => s.listen(0, LOCAL, () => resolve()));
  const port = (s.address() as { port: number }).port;
  await new Promise((resolve) => s.close(resolve));
  return port;
}

const http = (overrides: Partial<HttpCheckOptions> = {}): HttpCheckOptions => ({
  tls: false,
  method: "GET",
  path: "/",
  expectStatus: [200],
  tlsVerify: true,
  timeoutMs: 1000,
  ...overrides,
});

async function waitFor(what: string, cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!cond()) {
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** Whether `pid` runs (a zombie waiting to be reaped counts as gone). */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

describe("tcp check", () => {
  it("passes when the port accepts a connection", async (t) => {
    const port = await listen(t, createTcpServer());
    const r = await checkTcp({ ip: LOCAL, port }, { timeoutMs: 1000 });
    assert.equal(r.ok, true);
    assert.match(r.detail, /^connected in \d+ms$/);
    assert.ok(r.latencyMs >= 0 && r.latencyMs < 1000);
  });

  it("a busy event loop does not turn a prompt answer into a timeout", async (t) => {
    const port = await listen(t, createTcpServer());
    const pending = checkTcp({ ip: LOCAL, port }, { timeoutMs: 100 });
    const until = performance.now() + 300;
    while (performance.now() < until);
    const r = await pending;
    assert.equal(r.ok, true, `the kernel completed the connect while the loop was blocked, yet: ${r.detail}`);
  });

  it("fails with 'connection refused' when nothing listens", async () => {
    const r = await checkTcp({ ip: LOCAL, port: await closedPort() }, { timeoutMs: 1000 });
    assert.deepEqual([r.ok, r.detail], [false, "connection refused"]);
  });
});

describe("http check", () => {
  it("passes on the expected status and fails on another, naming both", async (t) => {
    let status = 200;
    const { port } = await httpServer(t, (_req, res) => res.writeHead(status).end("fine"));
    const ok = await checkHttp({ ip: LOCAL, port }, http());
    assert.equal(ok.ok, true);
    assert.match(ok.detail, /^HTTP 200 in \d+ms$/);
    status = 503;
    const bad = await checkHttp({ ip: LOCAL, port }, http());
    assert.deepEqual([bad.ok, bad.detail], [false, "HTTP 503 (expected 200)"]);
  });

  it("accepts any status of a list", async (t) => {
    let status = 204;
    const { port } = await httpServer(t, (_req, res) => res.writeHead(status).end());
    assert.equal((await checkHttp({ ip: LOCAL, port }, http({ expectStatus: [200, 204] }))).ok, true);
    status = 500;
    assert.equal(
      (await checkHttp({ ip: LOCAL, port }, http({ expectStatus: [200, 204] }))).detail,
      "HTTP 500 (expected 200, 204)",
    );
  });

  it("looks for the expected text in the body, within its first 64 KiB", async (t) => {
    let body = "status: OK\n";
    const { port } = await httpServer(t, (_req, res) => res.writeHead(200).end(body));
    assert.equal((await checkHttp({ ip: LOCAL, port }, http({ expectBody: "OK" }))).ok, true);
    body = "status: degraded\n";
    assert.deepEqual(await checkHttp({ ip: LOCAL, port }, http({ expectBody: "OK" })).then((r) => [r.ok, r.detail]), [
      false,
      'body lacks "OK"',
    ]);
    body = "x".repeat(70 * 1024) + "OK";
    assert.equal(
      (await checkHttp({ ip: LOCAL, port }, http({ expectBody: "OK" }))).detail,
      'body lacks "OK" in its first 64 KiB',
    );
  });

  it("sends the method, path and Host header asked for (default Host: IP:PORT)", async (t) => {
    const { port, seen } = await httpServer(t, (_req, res) => res.writeHead(200).end());
    assert.equal((await checkHttp({ ip: LOCAL, port }, http())).ok, true);
    assert.equal(
      (await checkHttp({ ip: LOCAL, port }, http({ method: "HEAD", path: "/health?deep=1", host: "www.example.com" })))
        .ok,
      true,
    );
    assert.equal((await checkHttp({ ip: LOCAL, port }, http({ method: "POST" }))).ok, true);
    assert.deepEqual(
      seen.map(({ method, url, host }) => ({ method, url, host })),
      [
        { method: "GET", url: "/", host: `${LOCAL}:${port}` },
        { method: "HEAD", url: "/health?deep=1", host: "www.example.com" },
        { method: "POST", url: "/", host: `${LOCAL}:${port}` },
      ],
    );
  });

  it("checks an IPv6 server through the HealthChecker, with Host [IP]:PORT", async (t) => {
    const hosts: (string | undefined)[] = [];
    const port = await listen(
      t,
      createHttpServer((req, res) => (hosts.push(req.headers.host), res.writeHead(200).end())),
      0,
      "::1",
    );
    const address = `[::1]:${port}`;
    const c = new HealthChecker({
      vs: {
        name: "v6",
        check: { type: "http", interval: 1000, timeout: 1000, rise: 2, fall: 3 },
        real_servers: [{ address }],
      },
      log: pino({ level: "silent" }),
      onTransition: () => undefined,
    });
    t.after(() => c.stop());
    c.start();
    await waitFor("a first check", () => c.state(address)?.detail !== "not checked yet");
    assert.match(c.state(address)?.detail ?? "", /^HTTP 200 in \d+ms$/);
    assert.deepEqual(hosts, [address]);
  });

  it("says so when the server closes the connection without answering", async (t) => {
    const port = await listen(
      t,
      createTcpServer((s) => s.end()),
    );
    const r = await checkHttp({ ip: LOCAL, port }, http());
    assert.deepEqual([r.ok, r.detail], [false, "connection closed before a response"]);
  });

  it("times out on a server that accepts but never answers, and closes the connection", async (t) => {
    const server = createTcpServer();
    const closed: Promise<void>[] = [];
    server.on("connection", (s) => {
      s.resume();
      closed.push(new Promise((resolve) => s.on("close", () => resolve())));
    });
    const port = await listen(t, server);
    const r = await checkHttp({ ip: LOCAL, port }, http({ timeoutMs: 300 }));
    assert.deepEqual([r.ok, r.detail], [false, "timed out after 300ms waiting for the response"]);
    assert.ok(r.latencyMs >= 290 && r.latencyMs < 800, `took ${r.latencyMs}ms`);
    await Promise.race([
      Promise.all(closed),
      sleep(2000).then(() => assert.fail("the check left its connection open")),
    ]);
  });
});

describe("https check", () => {
  const key = join(dir, "key.pem");
  const cert = join(dir, "cert.pem");
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-keyout",
      key,
      "-out",
      cert,
      "-days",
      "1",
      "-subj",
      "/CN=www.example.com",
    ],
    { stdio: "ignore" },
  );

  async function httpsServer(t: TestContext) {
    const names: (string | false | null)[] = [];
    const server = createHttpsServer({ key: readFileSync(key), cert: readFileSync(cert) }, (req, res) => {
      names.push((req.socket as TLSSocket).servername);
      res.writeHead(200).end("OK");
    });
    return { port: await listen(t, server), names };
  }

  it("passes with tls_verify off and sends the Host name as SNI", async (t) => {
    const { port, names } = await httpsServer(t);
    const r = await checkHttp(
      { ip: LOCAL, port },
      http({ tls: true, tlsVerify: false, host: "www.example.com", expectBody: "OK" }),
    );
    assert.equal(r.ok, true, r.detail);
    assert.deepEqual(names, ["www.example.com"]);
  });

  it("fails with tls_verify on, saying what is wrong with the certificate", async (t) => {
    const { port, names } = await httpsServer(t);
    const r = await checkHttp({ ip: LOCAL, port }, http({ tls: true, tlsVerify: true, host: "www.example.com" }));
    assert.deepEqual([r.ok, r.detail], [false, "certificate: self-signed certificate"]);
    assert.deepEqual(names, [], "no request was sent");
  });
});

describe("exec check", () => {
  function script(name: string, body: string): string {
    const path = join(dir, name);
    writeFileSync(path, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
    return path;
  }

  it("runs SCRIPT ARGS... IP PORT and passes on exit 0", async () => {
    const argsFile = join(dir, "args");
    const r = await checkExec(
      { ip: LOCAL, port: 3306 },
      { script: script("ok.sh", `echo "$@" > ${argsFile}`), args: ["--user", "monitor"], timeoutMs: 2000 },
    );
    assert.equal(r.ok, true, r.detail);
    assert.match(r.detail, /^exit 0 in \d+ms$/);
    assert.equal(readFileSync(argsFile, "utf8"), `--user monitor ${LOCAL} 3306\n`);
  });

  it("fails on another exit code, quoting the first line of output", async () => {
    const r = await checkExec(
      { ip: LOCAL, port: 3306 },
      { script: script("lag.sh", "echo 'replica 120s behind'; echo more; exit 1"), args: [], timeoutMs: 2000 },
    );
    assert.deepEqual([r.ok, r.detail], [false, "exit 1: replica 120s behind"]);
  });

  it("kills the script and everything it started at the timeout", async () => {
    const pids = join(dir, "pids");
    const r = await checkExec(
      { ip: LOCAL, port: 1 },
      { script: script("hang.sh", `sleep 30 & echo $$ $! > ${pids}; wait`), args: [], timeoutMs: 300 },
    );
    assert.deepEqual([r.ok, r.detail], [false, "timed out after 300ms (killed)"]);
    const [shell, child] = readFileSync(pids, "utf8").trim().split(" ").map(Number);
    await waitFor("the script and its child to be gone", () => !alive(shell ?? 0) && !alive(child ?? 0), 2000);
  });
});

describe("HealthChecker", () => {
  const tcpCheck = (o: Partial<CheckConfig> = {}): CheckConfig => ({
    type: "tcp",
    interval: 50,
    timeout: 50,
    rise: 2,
    fall: 3,
    ...o,
  });

  function capture() {
    const lines: { level: number; msg: string; realServer: string }[] = [];
    const log = pino({ level: "info" }, { write: (s: string) => void lines.push(JSON.parse(s)) });
    return { log, lines };
  }

  it("marks a server down after fall failures and up after rise successes, logging each change once", async (t) => {
    const server = createTcpServer();
    const port = await listen(t, server);
    const address = `${LOCAL}:${port}`;
    const { log, lines } = capture();
    const transitions: string[] = [];
    const c = new HealthChecker({
      vs: { name: "web", check: tcpCheck(), real_servers: [{ address }] },
      log,
      onTransition: (_a, _up, reason) => transitions.push(reason),
    });
    t.after(() => c.stop());
    c.start();
    await waitFor("a first check", () => c.state(address)?.detail !== "not checked yet");
    assert.deepEqual(c.state(address)?.up, true);
    await new Promise((resolve) => server.close(resolve));
    await waitFor("down", () => c.state(address)?.up === false);
    await sleep(300);
    await new Promise<void>((resolve) => server.listen(port, LOCAL, () => resolve()));
    await waitFor("up again", () => c.state(address)?.up === true);
    await sleep(300);
    assert.equal(transitions.length, 2, transitions.join("\n"));
    assert.equal(transitions[0], `${address} down: connection refused (3 failed checks in a row)`);
    assert.match(
      transitions[1] ?? "",
      new RegExp(`^${address} up: connected in \\d+ms \\(2 successful checks in a row\\)$`),
    );
    assert.deepEqual(
      lines.map((l) => [l.level, l.msg, l.realServer]),
      [
        [40, transitions[0], address],
        [30, transitions[1], address],
      ],
    );
    const s = c.state(address);
    assert.match(s?.detail ?? "", /^connected in \d+ms$/);
    assert.equal(typeof s?.latencyMs, "number");
  });

  it("marks a server that fails its first check down at once", async (t) => {
    const address = `${LOCAL}:${await closedPort()}`;
    const transitions: string[] = [];
    const c = new HealthChecker({
      vs: { name: "web", check: tcpCheck({ fall: 5 }), real_servers: [{ address }] },
      log: capture().log,
      onTransition: (_a, _up, r) => transitions.push(r),
    });
    t.after(() => c.stop());
    c.start();
    await waitFor("down", () => c.state(address)?.up === false, 1000);
    assert.deepEqual(transitions, [`${address} down: connection refused (first check)`]);
  });

  it("a hanging server delays only its own checks", async (t) => {
    const hanging = await httpServer(t, () => undefined);
    const healthy = await httpServer(t, (_req, res) => res.writeHead(200).end());
    const check: CheckConfig = { type: "http", interval: 100, timeout: 600, rise: 2, fall: 3 };
    const vs = {
      name: "web",
      check,
      real_servers: [{ address: `${LOCAL}:${hanging.port}` }, { address: `${LOCAL}:${healthy.port}` }],
    };
    const c = new HealthChecker({ vs, log: capture().log, onTransition: () => undefined });
    t.after(() => c.stop());
    c.start();
    await sleep(1300);
    c.stop();
    const gaps = healthy.seen.slice(1).map((s, i) => s.at - (healthy.seen[i]?.at ?? 0));
    assert.ok(
      healthy.seen.length >= 10,
      `the healthy server was checked ${healthy.seen.length} times in 1.3s at a 100ms interval`,
    );
    assert.ok(Math.max(...gaps) < 250, `gaps between its checks: ${gaps.map(Math.round).join(", ")}ms`);
    assert.ok(
      hanging.seen.length >= 2 && hanging.seen.length <= 3,
      `the hanging server was checked ${hanging.seen.length} times (each check waits its 600ms timeout)`,
    );
    assert.match(c.state(`${LOCAL}:${hanging.port}`)?.detail ?? "", /^timed out after 600ms waiting for the response$/);
  });

  it("adds and removes servers at runtime", async (t) => {
    const a = await httpServer(t, (_req, res) => res.writeHead(200).end());
    const b = await httpServer(t, (_req, res) => res.writeHead(200).end());
    const [addrA, addrB] = [`${LOCAL}:${a.port}`, `${LOCAL}:${b.port}`];
    const c = new HealthChecker({
      vs: { name: "web", check: { ...tcpCheck(), type: "http" }, real_servers: [{ address: addrA }] },
      log: capture().log,
      onTransition: () => undefined,
    });
    t.after(() => c.stop());
    c.start();
    await waitFor("A checked", () => a.seen.length > 0);
    assert.equal(c.state(addrB), undefined);
    c.setServers([addrA, addrB]);
    assert.deepEqual(c.state(addrB), { up: true, detail: "not checked yet" });
    await waitFor("B checked", () => b.seen.length > 0);
    c.setServers([addrB]);
    assert.equal(c.state(addrA), undefined);
    const before = a.seen.length;
    await sleep(300);
    assert.ok(a.seen.length <= before + 1, "a removed server is no longer checked");
    assert.ok(b.seen.length >= 4);
  });

  it("stop() cancels checks in flight: an exec check's script is killed", async (t) => {
    const pidFile = join(dir, "stop-pid");
    const path = join(dir, "slow.sh");
    writeFileSync(path, `#!/bin/sh\necho $$ > ${pidFile}\nexec sleep 30\n`, { mode: 0o755 });
    const c = new HealthChecker({
      vs: {
        name: "db",
        check: { type: "exec", interval: 5000, timeout: 5000, rise: 1, fall: 1, script: path },
        real_servers: [{ address: `${LOCAL}:3306` }],
      },
      log: capture().log,
      onTransition: () => assert.fail("no result may count after stop"),
    });
    t.after(() => c.stop());
    c.start();
    const pidOf = () => (existsSync(pidFile) ? Number(readFileSync(pidFile, "utf8")) : 0);
    await waitFor("the script to run", () => pidOf() > 0);
    const pid = pidOf();
    assert.ok(alive(pid));
    c.stop();
    await waitFor("the script to be killed", () => !alive(pid), 2000);
    await sleep(50);
    assert.equal(c.state(`${LOCAL}:3306`)?.detail, "not checked yet");
  });
});
