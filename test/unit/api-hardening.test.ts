// The API's edges, against a real server on loopback with a fake backend: malformed targets are 400 and
// never crash it, a handler that throws is a 500, the Host check (DNS rebinding), request bodies refused,
// unknown groups and nodes 404 whatever their name, `Bearer \xa0` no token, and the local socket's
// modes and tokenless commands.
import {
  forcePromotion,
  promotionEnded,
  promotionForced,
  promotionWaits,
} from "../../src/adapters/mariadb/promotion-gate.js";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, statSync, chmodSync, symlinkSync } from "node:fs";
import type { Server } from "node:http";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { hostAllowed, hostName } from "../../src/api/host-check.js";
import { startLocalApi } from "../../src/api/local-socket.js";
import { startApi, type ApiBackend } from "../../src/api/server.js";
import type { Command } from "../../src/core/cluster/admin.js";
import { parseIp, type Ip } from "../../src/core/net/address.js";
import { socketProblem } from "../../src/cli/local-socket-check.js";

const servers: Server[] = [];
const dir = mkdtempSync(join(tmpdir(), "vigil-api-"));
after(() => {
  servers.forEach((s) => s.close());
  rmSync(dir, { recursive: true, force: true });
});

const ip = (t: string) => parseIp(t) as Ip;

function backend(commands: Command[], opts: Partial<ApiBackend> = {}): ApiBackend {
  return {
    status: async () => ({ groups: { db: "running" }, holds: ["db"], name: "n1", peers: [{ name: "n2" }] }),
    events: () => [],
    metrics: async () => "",
    command: async (cmd) => {
      commands.push(cmd);
      return { ok: true, message: "done" };
    },
    token: "t0k-0123456789",
    ...opts,
  };
}

async function api(b: ApiBackend, allowed: string[] = []): Promise<number> {
  const s = await startApi({ ip: ip("127.0.0.1"), port: 0 }, b, () => allowed);
  servers.push(s);
  const addr = s.address();
  return typeof addr === "object" && addr ? addr.port : 0;
}

/** Sends raw bytes and returns the status code of the answer (0 when the connection closed without one). */
function raw(port: number, text: string | Buffer): Promise<{ status: number; text: string }> {
  return new Promise((resolve) => {
    const sock = connect(port, "127.0.0.1");
    let got = "";
    sock.on("data", (d) => (got += d.toString("latin1")));
    const done = () => resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(got)?.[1] ?? 0), text: got });
    sock.on("close", done);
    sock.on("error", () => undefined);
    sock.setTimeout(3000, () => sock.destroy());
    sock.end(text);
  });
}

const req = (method: string, path: string, headers: Record<string, string> = {}) =>
  `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join("")}Connection: close\r\n\r\n`;

describe("API: the Host check", () => {
  it("reads the host name of a Host header", () => {
    assert.equal(hostName("Example.COM.:8080"), "example.com");
    assert.equal(hostName("[::1]:7480"), "::1");
    assert.equal(hostName("10.0.0.1"), "10.0.0.1");
    assert.equal(hostName("evil.com/x"), undefined);
    assert.equal(hostName(""), undefined);
    assert.equal(hostName("[zz]:1"), undefined);
  });

  it("allows the listen address, loopback names on loopback, IP literals on a wildcard, configured names", () => {
    const lo = ip("127.0.0.1");
    assert.ok(hostAllowed("127.0.0.1:7480", lo, []));
    assert.ok(hostAllowed("127.0.0.1", lo, []));
    assert.ok(hostAllowed("localhost:7480", lo, []));
    assert.ok(hostAllowed("[::1]:7480", lo, []));
    assert.ok(hostAllowed(undefined, lo, []), "HTTP/1.0 without Host");
    assert.ok(!hostAllowed("evil.example:7480", lo, []), "a rebinding name");
    assert.ok(!hostAllowed("10.0.0.1:7480", lo, []));
    assert.ok(hostAllowed("vigil.example.com:443", lo, ["Vigil.Example.com"]));
    const node = ip("10.0.0.5");
    assert.ok(hostAllowed("10.0.0.5:7480", node, []));
    assert.ok(!hostAllowed("localhost:7480", node, []), "localhost is not this address");
    assert.ok(!hostAllowed("10.0.0.6:7480", node, []));
    const any = ip("0.0.0.0");
    assert.ok(hostAllowed("10.0.0.6:7480", any, []));
    assert.ok(hostAllowed("localhost", any, []));
    assert.ok(!hostAllowed("evil.example", any, []));
  });

  it("answers 421 with a stable code to a Host it does not know, and serves a configured one", async () => {
    const port = await api(backend([]), ["vigil.example.com"]);
    const bad = await raw(port, "GET /status HTTP/1.1\r\nHost: evil.example:80\r\nConnection: close\r\n\r\n");
    assert.equal(bad.status, 421);
    assert.match(bad.text, /"code": "E_API_HOST"/);
    assert.match(bad.text, /add the name to api\.allowed_hosts/);
    const good = await raw(port, "GET /status HTTP/1.1\r\nHost: vigil.example.com\r\nConnection: close\r\n\r\n");
    assert.equal(good.status, 200);
    assert.equal((await fetch(`http://localhost:${port}/status`)).status, 200, "what a browser sends");
  });
});

describe("API: the error boundary", () => {
  it("answers 400 to the requests that used to stop the daemon, and keeps serving", async () => {
    const port = await api(backend([]));
    for (const [m, p] of [
      ["GET", "//"],
      ["GET", "/health/primary/%E0"],
      ["POST", "/groups/%ZZ/cleanup"],
      ["GET", "/%"],
      ["GET", "/health/primary/a%00b"],
      ["GET", "*"],
      ["GET", "http://evil/status"],
    ] as const)
      assert.equal((await raw(port, req(m, p))).status, 400, `${m} ${p}`);
    assert.equal((await raw(port, req("GET", `/${"a".repeat(3000)}`))).status, 414);
    assert.equal((await raw(port, req("GET", "/status"))).status, 200);
  });

  it("answers 500 when a handler throws or rejects, and keeps serving", async () => {
    const errors: string[] = [];
    const port = await api(
      backend([], {
        events: () => {
          throw new Error("boom");
        },
        metrics: () => Promise.reject(new Error("later boom")),
        onError: (e) => errors.push(e.message),
      }),
    );
    const r = await raw(port, req("GET", "/events"));
    assert.equal(r.status, 500);
    assert.match(r.text, /"code": "E_API_INTERNAL"/);
    assert.equal((await raw(port, req("GET", "/metrics"))).status, 500);
    assert.deepEqual(errors, ["boom", "later boom"]);
    assert.equal((await raw(port, req("GET", "/status"))).status, 200);
  });

  it("refuses request bodies with 413", async () => {
    const commands: Command[] = [];
    const port = await api(backend(commands));
    const auth = { authorization: "Bearer t0k-0123456789" };
    const withBody = `POST /maintenance/on HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer t0k-0123456789\r\nContent-Length: 5\r\n\r\nhello`;
    assert.equal((await raw(port, withBody)).status, 413);
    const chunked = `POST /maintenance/on HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n`;
    assert.equal((await raw(port, chunked)).status, 413);
    assert.deepEqual(commands, []);
    assert.equal((await raw(port, req("POST", "/maintenance/on", { ...auth, "content-length": "0" }))).status, 200);
  });
});

describe("API: names and tokens", () => {
  it("answers 404 for unknown groups and nodes, constructor and __proto__ included, without running them", async () => {
    const commands: Command[] = [];
    const port = await api(backend(commands));
    const auth = { authorization: "Bearer t0k-0123456789" };
    for (const name of ["constructor", "__proto__", "toString", "hasOwnProperty", "nope"]) {
      assert.equal((await raw(port, req("GET", `/health/primary/${name}`))).status, 404, name);
      assert.equal((await raw(port, req("POST", `/groups/${name}/cleanup`, auth))).status, 404, name);
      assert.equal((await raw(port, req("POST", `/groups/db/move?node=${name}`, auth))).status, 404, name);
      assert.equal((await raw(port, req("POST", `/nodes/${name}/standby`, auth))).status, 404, name);
    }
    assert.deepEqual(commands, []);
    assert.equal((await raw(port, req("GET", "/health/primary/db"))).status, 200);
    assert.equal((await raw(port, req("POST", "/nodes/n2/standby", auth))).status, 200);
  });

  it("takes no Unicode space or empty string for a token", async () => {
    const commands: Command[] = [];
    const port = await api(backend(commands));
    const nbsp = Buffer.from(
      "POST /maintenance/on HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \xa0\r\n\r\n",
      "latin1",
    );
    assert.equal((await raw(port, nbsp)).status, 401);
    assert.equal((await raw(port, req("POST", "/maintenance/on", { authorization: "Bearer " }))).status, 401);
    const empty = await api(backend(commands, { token: "" }));
    assert.equal((await raw(empty, req("POST", "/maintenance/on", { authorization: "Bearer " }))).status, 403);
    assert.deepEqual(commands, []);
  });
});

describe("API: forcing a database promotion", () => {
  it("forces only the promotion waiting here for unheard replicas, and only with the token", async () => {
    const datadir = "/var/lib/vigil-test-force";
    const port = await api(
      backend([], {
        dbForce: async (g) => (g === "db" ? forcePromotion(datadir, "the operator") : undefined),
      }),
    );
    const auth = { authorization: "Bearer t0k-0123456789" };
    const force = async (group: string, h: Record<string, string> = auth) =>
      raw(port, req("POST", `/db/${group}/force`, h));
    try {
      const idle = await force("db");
      assert.equal(idle.status, 409);
      assert.match(idle.text, /"code": "E_NOT_WAITING"[\s\S]*no promotion is waiting here/);
      assert.equal((await force("nope")).status, 404);
      promotionWaits(datadir, "n1 still accepts writes (read_only is off); waiting for its demotion", false);
      assert.match((await force("db")).text, /force cannot pass: n1 still accepts writes/);
      assert.equal(promotionForced(datadir), false);
      promotionWaits(datadir, "waiting for n3 (connect ECONNREFUSED): it may hold the newest commit", true);
      assert.equal((await force("db", {})).status, 401);
      assert.equal(promotionForced(datadir), false, "not without the token");
      const forced = await force("db");
      assert.equal(forced.status, 200);
      assert.match(forced.text, /forced past: waiting for n3/);
      assert.equal(promotionForced(datadir), true);
    } finally {
      promotionEnded(datadir);
    }
    assert.equal(promotionForced(datadir), false, "the order ends with that promotion");
  });
});

describe("API: the local socket", () => {
  it("is mode 0660 in a 0750 directory, runs commands without a token, and passes the CLI's check", async () => {
    const runDir = join(dir, "run");
    const path = join(runDir, "api-127.0.0.1:7480.sock");
    const commands: Command[] = [];
    const s = await startLocalApi(path, backend(commands), process.getegid?.() ?? 0);
    servers.push(s);
    assert.equal(statSync(runDir).mode & 0o777, 0o750);
    assert.equal(statSync(path).mode & 0o777, 0o660);
    assert.equal(socketProblem(path), undefined);
    const res = await new Promise<number>((resolve, reject) => {
      const sock = connect(path);
      let got = "";
      sock.on("data", (d) => (got += d.toString()));
      sock.on("close", () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(got)?.[1] ?? 0)));
      sock.on("error", reject);
      sock.end("POST /maintenance/on HTTP/1.1\r\nHost: anything\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    });
    assert.equal(res, 200);
    assert.deepEqual(commands, [{ kind: "maintenance", on: true }]);
  });

  it("will not take over a socket another process still serves, but replaces a stale one", async () => {
    const path = join(dir, "run", "api-127.0.0.1:7480.sock");
    await assert.rejects(startLocalApi(path, backend([]), process.getegid?.() ?? 0), /is served by another process/);
    const stalePath = join(dir, "run", "api-127.0.0.1:7481.sock");
    // a daemon killed with SIGKILL leaves its socket file behind with nothing serving it
    spawnSync(process.execPath, [
      "-e",
      `require("net").createServer().listen(${JSON.stringify(stalePath)}, () => process.kill(process.pid, "SIGKILL"))`,
    ]);
    assert.ok(statSync(stalePath).isSocket(), "a stale socket file");
    servers.push(await startLocalApi(stalePath, backend([]), process.getegid?.() ?? 0));
    assert.equal(socketProblem(stalePath), undefined);
  });

  it("is refused by the CLI's check in a directory others can write, or through a symlink", () => {
    const runDir = join(dir, "run");
    const path = join(runDir, "api-127.0.0.1:7480.sock");
    chmodSync(runDir, 0o777);
    assert.match(socketProblem(path) ?? "", /writable by group or others/);
    chmodSync(runDir, 0o750);
    const link = join(dir, "link.sock");
    symlinkSync(path, link);
    assert.match(socketProblem(link) ?? "", /is not a socket/);
    assert.match(socketProblem(join(runDir, "none.sock")) ?? "", /does not exist/);
  });
});
