// `vigil import ldirectord` on realistic ldirectord.cf files: virtual= blocks with real= weights and
// forwarding methods, fallback, checktype connect/negotiate/external, request/receive, virtualhost,
// scheduler, persistent, quiescent; secrets never copied. Every output passes vigil check's code.
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { ImportError } from "../../src/core/import/types.js";
import { importLdirectordFile } from "../../src/import/run-import.js";
import { tempKeyDir } from "../helpers/config.js";
import { checked, commentsAbout, fixture } from "../helpers/import-check.js";

const tmp = tempKeyDir();
after(() => tmp.cleanup());
const directors = new Map([
  ["lb1", "10.20.0.2"],
  ["lb2", "10.20.0.3"],
]);

describe("vigil import ldirectord: a web site, MySQL and SMTP", () => {
  const out = checked(
    importLdirectordFile(fixture("ldirectord/ldirectord.cf"), { addresses: directors, keyFile: tmp.keyFile }),
  );
  const [web, mysql, smtp] = out.raw.virtual_servers;

  it("makes the directors given with --address the nodes, two_node with a witness recommendation", () => {
    assert.deepEqual(out.raw.nodes, [
      { name: "lb1", address: "10.20.0.2" },
      { name: "lb2", address: "10.20.0.3" },
    ]);
    assert.equal(out.raw.cluster.quorum, "two_node");
    assert.match(out.text, /ldirectord balanced; heartbeat \(or keepalived\) moved the VIP/);
  });

  it("maps the web site: weights, fallback on loopback (so masq stays on the proxy), persistent, quiescent, negotiate http with request/receive/virtualhost", () => {
    assert.deepEqual(web, {
      name: "vs-10.20.0.100-80",
      listen: "10.20.0.100:80",
      scheduler: "wlc",
      persistence: "10m",
      real_servers: [{ address: "10.20.1.21:80", weight: 3 }, { address: "10.20.1.22:80" }],
      sorry_server: "127.0.0.1:8080",
      quiescent: true,
      check: {
        type: "http",
        path: "/health.html",
        expect_body: "OK",
        host: "www.example.com",
        interval: "5s",
        timeout: "3s",
        rise: 1,
        fall: 1,
      },
    });
    assert.ok(commentsAbout(out.text, "the sorry server is on loopback").length === 1);
  });

  it("maps MySQL: an address range, gate (DR) explained, negotiate mysql as a TCP check, the password never copied", () => {
    assert.deepEqual(mysql.real_servers, [
      { address: "10.20.1.31:3306", weight: 2 },
      { address: "10.20.1.32:3306", weight: 2 },
    ]);
    assert.equal(mysql.scheduler, "lc");
    assert.equal(mysql.quiescent, false);
    assert.equal(mysql.check.type, "tcp");
    assert.ok(commentsAbout(out.text, "negotiate for mysql").length === 1);
    assert.ok(commentsAbout(out.text, "LVS direct routing").length === 1);
    assert.ok(!out.text.includes("s3cret-db-pass"));
    assert.ok(out.notes.some((n) => n.startsWith("ldirectord/ldirectord.cf:29: passwd: not copied (a secret)")));
  });

  it("maps SMTP: ipip explained, connect check on checkport, failurecount to fall", () => {
    assert.deepEqual(smtp.check, { type: "tcp", port: 2525, interval: "5s", timeout: "3s", rise: 1, fall: 3 });
    assert.equal(smtp.scheduler, "sh");
    assert.ok(commentsAbout(out.text, "IP-in-IP").length === 1);
  });

  it("lists global directives it does not need and an unknown key with file:line", () => {
    for (const want of [
      "ldirectord/ldirectord.cf:4: autoreload:",
      "ldirectord/ldirectord.cf:7: emailalert:",
      'ldirectord/ldirectord.cf:41: unknown keyword "surprise"',
    ])
      assert.ok(
        out.notes.some((n) => n.startsWith(want)),
        `${want}\n${out.notes.join("\n")}`,
      );
  });
});

describe("vigil import ldirectord: IPv6, HEAD, external checks, host names, no nodes given", () => {
  const out = checked(importLdirectordFile(fixture("ldirectord/https.cf"), { keyFile: tmp.keyFile }));

  it("writes one node to complete when no --address is given (a valid single-node config)", () => {
    assert.deepEqual(out.raw.nodes, [{ name: "director", address: "127.0.0.1" }]);
    assert.equal(out.raw.cluster.quorum, undefined);
    assert.ok(commentsAbout(out.text, "ldirectord.cf names no nodes").length === 1);
  });

  it("maps an IPv6 https service checked with HEAD (no certificate check), and an external check", () => {
    const [v6, ext] = out.raw.virtual_servers;
    assert.equal(v6.listen, "[2001:db8::80]:443");
    assert.deepEqual(v6.real_servers, [{ address: "[2001:db8::81]:443", weight: 5 }]);
    assert.deepEqual(v6.check, {
      type: "https",
      path: "/",
      method: "HEAD",
      tls_verify: false,
      interval: "2s",
      timeout: "2s",
      rise: 1,
      fall: 1,
    });
    assert.equal(commentsAbout(out.text, "was longer than checkinterval").length, 2);
    assert.deepEqual(ext.check, {
      type: "exec",
      script: "/usr/local/bin/check-app",
      args: ["--deep"],
      interval: "2s",
      timeout: "2s",
      rise: 1,
      fall: 1,
    });
    assert.ok(commentsAbout(out.text, "ldirectord called checkcommand").length === 1);
  });

  it("lists a virtual service named by host name instead of guessing its address", () => {
    assert.equal(out.raw.virtual_servers.length, 2);
    assert.ok(
      out.notes.some((n) => n.startsWith("ldirectord/https.cf:15: virtual=www.example.com:http: only IP:PORT")),
      out.notes.join("\n"),
    );
  });

  it("refuses files that are not ldirectord.cf", () => {
    for (const [file, line] of [
      [fixture("keepalived/h1/keepalived.conf"), 1],
      [fixture("heartbeat/ha.cf"), 2],
    ] as const)
      assert.throws(
        () => importLdirectordFile(file),
        (e: unknown) =>
          e instanceof ImportError &&
          e.code === "E_IMPORT_FORMAT" &&
          e.at?.line === line &&
          /not an ldirectord.cf/.test(e.message),
      );
  });
});
