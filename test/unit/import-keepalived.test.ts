// `vigil import keepalived` on realistic two-node configurations: every mapped key is asserted, every
// output passes the same check as `vigil check`, secrets never appear, and what is not imported is
// listed with its file and line.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { formatIssue, loadConfigFile } from "../../src/adapters/config-file.js";
import { importKeepalived } from "../../src/core/import/keepalived.js";
import { parseKeepalived, tokenizeKeepalived } from "../../src/core/import/keepalived-syntax.js";
import { ImportError } from "../../src/core/import/types.js";
import { importKeepalivedFiles } from "../../src/import/run-import.js";
import { tempKeyDir } from "../helpers/config.js";
import { checked, commentsAbout, fixture } from "../helpers/import-check.js";

const tmp = tempKeyDir();
after(() => tmp.cleanup());

const pair = (dir: string, a: string, b: string, files = [`${a}.conf`, `${b}.conf`]) =>
  importKeepalivedFiles(
    new Map([
      [a, fixture(`${dir}/${files[0]}`)],
      [b, fixture(`${dir}/${files[1]}`)],
    ]),
    { keyFile: tmp.keyFile },
  );

/** A pure import of inline texts (one per node), as the tests of single constructs use it. */
function inline(files: Record<string, string>, addresses: Record<string, string> = {}) {
  return importKeepalived({
    nodes: Object.entries(files).map(([name, text]) => ({
      name,
      file: `${name}.conf`,
      tokens: tokenizeKeepalived(text, `${name}.conf`),
    })),
    addresses: new Map(Object.entries(addresses)),
    clusterName: "t",
    keyFile: tmp.keyFile,
  });
}

describe("vigil import keepalived: an HAProxy pair with an LVS web farm in an included file", () => {
  const out = checked(pair("keepalived", "h1", "h2", ["h1/keepalived.conf", "h2/keepalived.conf"]));
  const g = out.raw.groups[0];

  it("makes two nodes from unicast_src_ip with their priorities, two_node quorum and a witness recommendation", () => {
    assert.deepEqual(out.raw.nodes, [
      { name: "h1", address: "10.77.0.11", priority: 200 },
      { name: "h2", address: "10.77.0.12", priority: 100 },
    ]);
    assert.equal(out.raw.cluster.quorum, "two_node");
    assert.ok(commentsAbout(out.text, "witness: true").length > 0, "a comment recommends a witness");
    assert.equal(out.raw.cluster.key_file, tmp.keyFile);
  });

  it("turns advert_int 1 into the keepalived takeover time (3 × advert_int + skew), with a comment", () => {
    assert.deepEqual(out.raw.cluster.heartbeat, { interval: "1s", lease: "3.609s" });
    assert.ok(commentsAbout(out.text, "≈ advert_int 1s").length === 1);
  });

  it("maps vrrp_instance VI_1: prefer by priority, failback without nopreempt, both address forms, label dropped", () => {
    assert.equal(g.name, "VI_1");
    assert.deepEqual(g.prefer, ["h1", "h2"]);
    assert.equal(g.failback, true);
    assert.deepEqual(g.resources, [
      { type: "vip", address: "10.77.0.100/24", interface: "eth0" },
      { type: "vip", address: "10.77.0.101/32", interface: "eth0" },
    ]);
    assert.ok(commentsAbout(out.text, "dropped: label eth0:vip").length === 1);
  });

  it("maps vrrp_script + track_script (weight 0) and track_interface to tracks with keepalived's timers", () => {
    assert.deepEqual(g.track, [
      {
        type: "exec",
        path: "/usr/bin/killall",
        args: ["-0", "haproxy"],
        interval: "2s",
        timeout: "1s",
        rise: 2,
        fall: 2,
      },
      { type: "interface", name: "eth1" },
    ]);
    assert.equal(out.config.groups[0]?.track.length, 2);
  });

  it("keeps notify in keepalived's calling convention and lists notify_master with its place", () => {
    assert.deepEqual(g.notify, {
      path: "/etc/keepalived/notify.sh",
      convention: "keepalived",
      name: "VI_1",
      args: ["haproxy"],
    });
    assert.ok(
      out.notes.some((n) => n.startsWith("keepalived/h1/keepalived.conf:49: notify_master /etc/keepalived/master.sh")),
      out.notes.join("\n"),
    );
  });

  it("never copies auth_pass, and says so", () => {
    assert.ok(!out.text.includes("s3cr3tPW"));
    assert.ok(out.notes.some((n) => n.includes(":34: authentication (its password is not copied)")));
  });

  it("reads the virtual server from the included conf.d/*.conf (old spellings lb_algo, lb_kind, nb_get_retry)", () => {
    const vs = out.raw.virtual_servers[0];
    assert.deepEqual(
      { ...vs, check: undefined },
      {
        name: "vs-10.77.0.100-80",
        listen: "10.77.0.100:80",
        scheduler: "wrr",
        persistence: "50s",
        sorry_server: "10.77.1.99:80",
        forward: "nat",
        real_servers: [
          { address: "10.77.1.21:80", weight: 3 },
          { address: "10.77.1.22:80", weight: 1 },
        ],
        quiescent: true,
        check: undefined,
      },
    );
    assert.deepEqual(vs.check, {
      type: "http",
      path: "/health",
      expect_status: [200, 201, 202, 203, 204],
      host: "www.example.com",
      interval: "6s",
      timeout: "3s",
      rise: 1,
      fall: 3,
    });
    assert.ok(commentsAbout(out.text, "delay_before_retry").length + commentsAbout(out.text, "3s apart").length > 0);
  });

  it("lists what it did not import with file:line, once for both nodes, and an include glob that matched nothing", () => {
    assert.ok(
      out.notes.some((n) =>
        /^keepalived\/h1\/keepalived.conf:3: global_defs notification_email: .*also .*h2\/keepalived.conf:3\)$/.test(n),
      ),
      out.notes.join("\n"),
    );
    assert.ok(
      out.notes.some((n) => n === "keepalived/h1/keepalived.conf:53: include optional.d/*.conf matched no file"),
    );
    assert.match(out.text, /^# Not imported \(\d+\):$/m);
  });
});

describe("vigil import keepalived: LVS directors with a sync group (new spellings)", () => {
  const out = checked(pair("keepalived-lvs", "lb1", "lb2"));
  const g = out.raw.groups[0];
  const vs = (port: number) => out.raw.virtual_servers.find((v: { listen: string }) => v.listen.endsWith(`:${port}`));

  it("makes one group of the sync group's instances, sticky because of nopreempt, notified as a GROUP", () => {
    assert.equal(out.raw.groups.length, 1);
    assert.equal(g.name, "VG_1");
    assert.equal(g.failback, false);
    assert.deepEqual(
      g.resources.map((r: { address: string; interface: string }) => `${r.address}@${r.interface}`),
      ["192.0.2.10/24@eth0", "2001:db8::10/64@eth0", "10.10.0.1/24@eth1"],
    );
    assert.deepEqual(g.notify, {
      path: "/usr/local/bin/vg-notify",
      convention: "keepalived",
      name: "VG_1",
      args: ["--syslog"],
      type: "GROUP",
    });
    assert.deepEqual(
      out.raw.nodes.map((n: { address: string }) => n.address),
      ["192.0.2.2", "192.0.2.3"],
      "from mcast_src_ip",
    );
    assert.deepEqual(out.raw.cluster.heartbeat, { interval: "500ms", lease: "1.805s" });
  });

  it("flags a weighted script that never moved the VIP (nopreempt), and keeps a weight-0 override as a plain track", () => {
    assert.deepEqual(g.track[0], {
      type: "exec",
      path: "/usr/bin/pidof",
      args: ["nginx"],
      interval: "1s",
      timeout: "1s",
      rise: 1,
      fall: 1,
    });
    assert.ok(
      commentsAbout(out.text, "CHECK THIS: keepalived script chk_nginx (weight -30) never moved the VIP").length === 1,
    );
    assert.ok(out.notes.some((n) => n.includes("chk_nginx: its weight -30 never moved the VIP")));
    assert.ok(commentsAbout(out.text, 'found "pidof" on PATH').length === 1);
    assert.deepEqual(g.track[1], {
      type: "exec",
      path: "/usr/local/bin/check-upstream",
      args: ["--strict"],
      interval: "3s",
      timeout: "3s",
      rise: 2,
      fall: 3,
    });
    assert.equal(commentsAbout(out.text, "chk_upstream (weight").length, 0, "weight 0 is exactly a track");
  });

  it("maps SSL_GET (retry, status_code, no certificate check), DR with its explanation, lvs_sched lc", () => {
    const v = vs(443);
    assert.equal(v.scheduler, "lc");
    assert.equal(v.forward, undefined, "DR goes through the proxy");
    assert.deepEqual(v.check, {
      type: "https",
      path: "/status",
      expect_status: 200,
      tls_verify: false,
      interval: "10s",
      timeout: "2s",
      rise: 1,
      fall: 2,
    });
    assert.ok(commentsAbout(out.text, "LVS direct routing").length === 1);
    assert.ok(out.notes.some((n) => n.includes(":80: digest:")));
    assert.ok(out.notes.some((n) => n.includes(":82: a further url block")));
  });

  it("maps MISC_CHECK to an exec check, TUN with its explanation, NAT with sed to forward nat and wrr", () => {
    assert.deepEqual(vs(25).check, {
      type: "exec",
      script: "/usr/local/bin/check_smtp",
      args: ["10.10.0.31"],
      interval: "1m",
      timeout: "3s",
      rise: 1,
      fall: 1,
    });
    assert.ok(commentsAbout(out.text, "IP-in-IP").length === 1);
    const mysql = vs(3306);
    assert.equal(mysql.forward, "nat");
    assert.equal(mysql.scheduler, "wrr");
    assert.ok(commentsAbout(out.text, "sed (shortest expected delay)").length === 1);
    assert.deepEqual(mysql.real_servers, [
      { address: "10.10.0.41:3306", weight: 1 },
      { address: "10.10.0.42:3306", weight: 0 },
    ]);
    assert.deepEqual(mysql.check, { type: "tcp", interval: "2s", timeout: "1s", rise: 1, fall: 1 });
  });

  it("lists fwmark and UDP virtual servers, virtual_routes and an unknown global keyword with file:line", () => {
    assert.equal(out.raw.virtual_servers.length, 3);
    for (const want of [
      /^keepalived-lvs\/lb1.conf:133: virtual_server fwmark 5/,
      /^keepalived-lvs\/lb1.conf:141: virtual_server 192.0.2.10 53: UDP/,
      /^keepalived-lvs\/lb1.conf:63: virtual_routes:/,
      /^keepalived-lvs\/lb1.conf:6: unknown keyword "frobnicate_all" in global_defs/,
    ])
      assert.ok(
        out.notes.some((n) => want.test(n)),
        `${want}\n${out.notes.join("\n")}`,
      );
  });
});

describe("vigil import keepalived: weights, node counts and addresses", () => {
  const instance = (priority: number, extra = "") => `vrrp_script chk {
  script "/usr/local/bin/chk"
  weight -20
}
vrrp_instance VI_1 {
  interface eth0
  priority ${priority}
  ${extra}
  virtual_ipaddress { 10.1.0.100/24 }
  track_script { chk }
}`;

  it("a weight that moved the VIP becomes a track with a comment saying how keepalived used it", () => {
    const out = checked(inline({ a: instance(110), b: instance(100) }, { a: "10.1.0.1", b: "10.1.0.2" }));
    assert.ok(commentsAbout(out.text, "weight -20 took priority 110 below the backup's 100").length === 1, out.text);
    assert.ok(!out.notes.some((n) => n.includes("never moved")));
  });

  it("a weight smaller than the priority gap is flagged as never having moved the VIP", () => {
    const out = checked(inline({ a: instance(200), b: instance(100) }, { a: "10.1.0.1", b: "10.1.0.2" }));
    assert.ok(
      out.notes.some((n) => n.includes("weight -20 cannot bring priority 200 below 100")),
      out.notes.join("\n"),
    );
  });

  it("one node gets majority quorum (no two_node); three nodes too", () => {
    const one = checked(inline({ a: instance(100) }, { a: "10.1.0.1" }));
    assert.equal(one.raw.cluster.quorum, undefined);
    const three = checked(
      inline({ a: instance(150), b: instance(100), c: instance(50) }, { a: "10.1.0.1", b: "10.1.0.2", c: "10.1.0.3" }),
    );
    assert.equal(three.raw.cluster.quorum, undefined);
    assert.deepEqual(three.raw.groups[0].prefer, ["a", "b", "c"]);
  });

  it("a node with no address anywhere is an error naming the option to give (a single node gets 127.0.0.1)", () => {
    assert.equal(checked(inline({ a: instance(100) })).raw.nodes[0].address, "127.0.0.1");
    assert.throws(
      () => inline({ a: instance(100), b: instance(90) }, { b: "10.1.0.2" }),
      (e: unknown) => e instanceof ImportError && e.code === "E_IMPORT_ADDRESS" && /--address a=IP/.test(e.message),
    );
  });
});

describe("vigil import keepalived: pitfalls", () => {
  const dir = "keepalived-pitfalls";

  it("reads ! and # comments, quoted strings with spaces, # and ! inside quotes, braces on one line and glued to a word", () => {
    const out = checked(pair(dir, "n1", "n2", ["pitfalls.conf", "node2.conf"]));
    const g = out.raw.groups[0];
    assert.equal(g.name, "VI_9");
    assert.deepEqual(g.track, [
      {
        type: "exec",
        path: "/bin/sh",
        args: ["-c", "test -e /run/ok # not a comment ! nor this"],
        interval: "1s",
        timeout: "1s",
        rise: 1,
        fall: 1,
      },
    ]);
    assert.deepEqual(
      g.resources.map((r: { address: string }) => r.address),
      ["10.9.0.9/24", "10.9.0.10/24"],
    );
    assert.deepEqual(
      out.raw.nodes.map((n: { address: string }) => n.address),
      ["10.9.0.1", "10.9.0.2"],
      "n2's address from n1's unicast_peer",
    );
    assert.ok(
      out.notes.some((n) => n.startsWith('keepalived-pitfalls/pitfalls.conf:15: unknown keyword "bogus_keyword"')),
      out.notes.join("\n"),
    );
    assert.ok(commentsAbout(out.text, "did not check a real server without a checker").length === 1);
  });

  const fails = (file: string, code: string, line: number | undefined, message: RegExp) => {
    assert.throws(
      () => importKeepalivedFiles(new Map([["n1", file]]), { addresses: new Map([["n1", "10.0.0.1"]]) }),
      (e: unknown) => e instanceof ImportError && e.code === code && e.at?.line === line && message.test(e.message),
    );
  };

  it("a missing included file is an error at the include line; a missing main file too", () => {
    fails(
      fixture(`${dir}/missing-include.conf`),
      "E_IMPORT_READ",
      4,
      /cannot read the included file .*keepalived-extra.conf: no such file/,
    );
    fails(
      fixture(`${dir}/no-such-file.conf`),
      "E_IMPORT_READ",
      undefined,
      /cannot read keepalived.conf .*: no such file/,
    );
  });

  it("an unclosed block, an include loop and a file that is not keepalived.conf are clear errors", () => {
    fails(fixture(`${dir}/unclosed.conf`), "E_IMPORT_SYNTAX", 1, /never closed/);
    fails(fixture(`${dir}/loop.conf`), "E_IMPORT_SYNTAX", 1, /include loop/);
    fails(fixture("heartbeat/ha.cf"), "E_IMPORT_FORMAT", 2, /not a keepalived.conf: "logfacility"/);
    fails(fixture("ldirectord/ldirectord.cf"), "E_IMPORT_FORMAT", 2, /not a keepalived.conf/);
  });
});

describe("vigil import keepalived: syntax errors carry their line", () => {
  const syntax = (text: string) => {
    try {
      parseKeepalived(tokenizeKeepalived(text, "k.conf"));
    } catch (e) {
      if (e instanceof ImportError) return `${e.at?.line}: ${e.message} [${e.code}]`;
      throw e;
    }
    return "parsed";
  };

  it("reports a stray '}', a '{' without a keyword and an unterminated quote", () => {
    assert.equal(syntax("global_defs {\n}\n}\n"), "3: '}' closes no block [E_IMPORT_SYNTAX]");
    assert.equal(syntax("vrrp_instance VI_1 {\n  {\n}\n"), "2: '{' without a keyword before it [E_IMPORT_SYNTAX]");
    assert.equal(
      syntax('vrrp_script x {\n  script "/bin/true\n}\n'),
      "2: a quoted string is not closed on its line [E_IMPORT_SYNTAX]",
    );
    assert.equal(
      syntax("vrrp_instance VI_1\n{\n  priority 100\n}\n"),
      "parsed",
      "a brace on the next line opens the block",
    );
    assert.equal(
      syntax("\u007fELF\u0000\u0001"),
      "undefined: k.conf is a binary file, not a keepalived.conf [E_IMPORT_FORMAT]",
    );
  });

  it("puts each comment right above (or beside) the key it concerns", () => {
    const out = checked(pair("keepalived", "h1", "h2", ["h1/keepalived.conf", "h2/keepalived.conf"]));
    const lines = out.text.split("\n");
    const advert = lines.findIndex((l) => l.includes("≈ advert_int 1s"));
    const next = lines.slice(advert).find((l) => !l.trimStart().startsWith("#"));
    assert.equal(next?.trim(), "heartbeat:");
    assert.match(out.text, /address: 10\.77\.0\.11 # from unicast_src_ip/);
  });
});

describe("vigil import keepalived: the command line", () => {
  it("prints a config that vigil check's loader accepts with the key file, and a summary on stderr", () => {
    const dir = mkdtempSync(join(tmpdir(), "vigil-import-"));
    try {
      const main = new URL("../../src/cli/main.ts", import.meta.url).pathname;
      const r = spawnSync(
        process.execPath,
        [
          "--import",
          "tsx",
          main,
          "import",
          "keepalived",
          "--node",
          `h1=${fixture("keepalived/h1/keepalived.conf")}`,
          "--node",
          `h2=${fixture("keepalived/h2/keepalived.conf")}`,
          "--key-file",
          tmp.keyFile,
        ],
        { encoding: "utf8" },
      );
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stderr, /1 group, 1 virtual server; \d+ items not imported/);
      writeFileSync(join(dir, "vigil.yaml"), r.stdout);
      const loaded = loadConfigFile(join(dir, "vigil.yaml"));
      assert.ok(loaded.ok, loaded.ok ? "" : loaded.issues.map(formatIssue).join("\n"));
      assert.equal(loaded.config.groups[0]?.name, "VI_1");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
