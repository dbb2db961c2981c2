// `vigil import heartbeat` on a realistic DRBD + MySQL pair: ha.cf (nodes, ucast links, timers,
// auto_failback, ping + ipfail), haresources (IPaddr2::, drbddisk::, Filesystem::, LSB scripts, a bare
// address) and authkeys (never copied). Every output passes the same check as `vigil check`.
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { ImportError } from "../../src/core/import/types.js";
import { importHeartbeatFiles } from "../../src/import/run-import.js";
import { tempKeyDir } from "../helpers/config.js";
import { checked, commentsAbout, fixture } from "../helpers/import-check.js";

const tmp = tempKeyDir();
after(() => tmp.cleanup());

describe("vigil import heartbeat: MySQL on DRBD with an Apache group", () => {
  const result = importHeartbeatFiles({ dir: fixture("heartbeat") }, { keyFile: tmp.keyFile });
  const out = checked(result);
  const [db, web] = out.raw.groups;

  it("takes nodes from the node lines and their addresses from the ucast lines, one interface per link", () => {
    assert.deepEqual(out.raw.nodes, [
      { name: "db1.example.com", address: "192.168.100.1", links: ["10.20.0.11"] },
      { name: "db2.example.com", address: "192.168.100.2", links: ["10.20.0.12"] },
    ]);
    assert.ok(commentsAbout(out.text, "taken in the order of the node lines").length === 2);
    assert.equal(out.raw.cluster.quorum, "two_node");
    assert.ok(commentsAbout(out.text, "witness: true").length > 0);
  });

  it("maps keepalive and deadtime to the heartbeat timers", () => {
    assert.deepEqual(out.raw.cluster.heartbeat, { interval: "500ms", lease: "5s" });
  });

  it("makes one group per haresources line, in order, preferring its node; auto_failback off is failback false", () => {
    assert.equal(db.name, "mysql");
    assert.deepEqual(db.prefer, ["db1.example.com", "db2.example.com"]);
    assert.equal(db.failback, false);
    assert.deepEqual(db.resources, [
      { type: "vip", address: "10.20.0.100/24", interface: "eth0" },
      { type: "exec", path: "/etc/ha.d/resource.d/drbddisk", args: ["r0"], convention: "heartbeat" },
      {
        type: "ocf",
        agent: "heartbeat/Filesystem",
        params: { device: "/dev/drbd0", directory: "/var/lib/mysql", fstype: "ext4", options: "noatime" },
      },
      { type: "exec", path: "/etc/init.d/mysql" },
    ]);
    assert.equal(web.name, "apache");
    assert.deepEqual(web.prefer, ["db2.example.com", "db1.example.com"]);
    assert.deepEqual(web.resources[0], { type: "vip", address: "10.20.0.101/32", interface: "eth0" });
    assert.ok(commentsAbout(out.text, "heartbeat took the prefix from the matching route").length === 1);
  });

  it("turns the ping node (with ipfail) into a ping track on every group", () => {
    assert.deepEqual(db.track, [{ type: "ping", address: "10.20.0.1" }]);
    assert.deepEqual(web.track, [{ type: "ping", address: "10.20.0.1" }]);
    assert.ok(commentsAbout(out.text, "ping nodes with ipfail").length === 2);
  });

  it("never copies authkeys or the stonith password; the header says to run vigil keygen", () => {
    assert.ok(!out.text.includes("Th1sIsTheHeartbeatSecret"));
    assert.ok(!out.text.includes("hunter2"));
    assert.match(out.text, /^# {3}vigil keygen -o \S+ {4}\(authkeys is never copied/m);
    assert.ok(
      out.notes.some((n) => n.startsWith("heartbeat/authkeys:3: authkeys (sha1): the secret is not copied")),
      out.notes.join("\n"),
    );
    assert.ok(out.notes.some((n) => n.startsWith("heartbeat/ha.cf:18: stonith_host (not copied")));
  });

  it("lists unmapped and unknown directives with file:line", () => {
    for (const want of [
      "heartbeat/ha.cf:7: udpport:",
      "heartbeat/ha.cf:6: initdead:",
      'heartbeat/ha.cf:19: unknown keyword "frobnicate" in ha.cf',
    ])
      assert.ok(
        out.notes.some((n) => n.startsWith(want)),
        `${want}\n${out.notes.join("\n")}`,
      );
  });
});

describe("vigil import heartbeat: bcast, ping_group, legacy failback, and files that are not what they claim", () => {
  const dir = fixture("heartbeat-bad");
  const addresses = new Map([
    ["alpha", "10.30.0.11"],
    ["beta", "10.30.0.12"],
  ]);

  it("needs --address when ha.cf only broadcasts; with it, maps IPaddr with interface and broadcast, ldirectord and a script with :: arguments", () => {
    assert.throws(
      () => importHeartbeatFiles({ haCf: `${dir}/ha.cf` }),
      (e: unknown) => e instanceof ImportError && e.code === "E_IMPORT_ADDRESS" && /--address alpha=IP/.test(e.message),
    );
    const out = checked(
      importHeartbeatFiles(
        { haCf: `${dir}/ha.cf`, haresources: `${dir}/haresources` },
        { addresses, keyFile: tmp.keyFile },
      ),
    );
    const g = out.raw.groups[0];
    assert.deepEqual(
      out.raw.cluster.heartbeat,
      { interval: "2s", lease: "6s" },
      "deadtime 4 is raised to 3 × keepalive",
    );
    assert.deepEqual(g.resources, [
      { type: "vip", address: "10.30.0.100/24", interface: "eth2" },
      { type: "exec", path: "/etc/init.d/httpd", args: ["fast"], convention: "heartbeat" },
    ]);
    assert.deepEqual(g.track, [
      { type: "ping", address: "10.30.0.1" },
      { type: "ping", address: "10.30.0.2" },
    ]);
    assert.ok(commentsAbout(out.text, "ping_group needed any one").length === 1);
    assert.ok(commentsAbout(out.text, "CHECK THIS: without ipfail").length === 1);
    assert.ok(commentsAbout(out.text, "auto_failback legacy").length === 1);
    assert.ok(commentsAbout(out.text, "broadcast 10.30.0.255 dropped").length === 1);
    assert.ok(
      out.notes.some((n) =>
        n.startsWith("heartbeat-bad/haresources:1: ldirectord::ldirectord.cf: vigil balances itself"),
      ),
    );
    assert.ok(out.notes.some((n) => n.startsWith("heartbeat-bad/ha.cf:2: bcast: vigil sends unicast heartbeats")));
    assert.ok(out.notes.some((n) => n.startsWith("heartbeat-bad/ha.cf:9: mcast: vigil sends unicast heartbeats")));
  });

  const fails = (files: Parameters<typeof importHeartbeatFiles>[0], code: string, line: number, message: RegExp) =>
    assert.throws(
      () => importHeartbeatFiles(files, { addresses }),
      (e: unknown) =>
        e instanceof ImportError &&
        e.code === code &&
        e.at?.line === line &&
        message.test(e.message) &&
        !e.message.includes("Th1s"),
    );

  it("refuses a haresources line for an unknown node, an authkeys of another shape (without quoting it), and a keepalived.conf as ha.cf", () => {
    fails(
      { haCf: `${dir}/ha.cf`, haresources: `${dir}/haresources.wrong-node` },
      "E_IMPORT_FORMAT",
      1,
      /must start with a node name \(alpha, beta\), got "gamma"/,
    );
    fails({ haCf: `${dir}/ha.cf`, authkeys: `${dir}/authkeys.bad` }, "E_IMPORT_FORMAT", 2, /N sha1\|md5\|crc SECRET/);
    fails({ haCf: fixture("keepalived/h1/keepalived.conf") }, "E_IMPORT_FORMAT", 2, /not an ha.cf: "global_defs"/);
    fails({ haCf: fixture("ldirectord/ldirectord.cf") }, "E_IMPORT_FORMAT", 2, /not an ha.cf/);
    assert.throws(
      () => importHeartbeatFiles({ dir: `${dir}/missing` }),
      (e: unknown) => e instanceof ImportError && e.code === "E_IMPORT_READ" && /ha.cf .*no such file/.test(e.message),
    );
  });
});

describe("vigil import heartbeat: LVS directors that ran ldirectord from haresources", () => {
  it("imports the ldirectord.cf the haresources line names into the same config, served by the VIP's group", () => {
    const out = checked(importHeartbeatFiles({ dir: fixture("heartbeat-lvs") }, { keyFile: tmp.keyFile }));
    assert.equal(out.raw.groups[0].name, "ldirectord");
    assert.deepEqual(out.raw.groups[0].resources, [{ type: "vip", address: "10.40.0.100/24", interface: "eth0" }]);
    assert.equal(out.raw.virtual_servers[0].name, "vs-10.40.0.100-80");
    assert.equal(out.raw.virtual_servers[0].listen, "10.40.0.100:80");
    assert.equal(out.raw.virtual_servers[0].forward, "nat");
    assert.equal(out.raw.virtual_servers[0].check.expect_body, "ok");
    assert.deepEqual(out.raw.cluster.heartbeat, { interval: "200ms", lease: "1s" });
    assert.match(
      out.text.replace(/\n\s*# /g, " "),
      /from \S+heartbeat-lvs\/ldirectord.cf, which haresources ran as ldirectord\nvirtual_servers:/,
    );
    assert.ok(!out.notes.some((n) => n.includes("vigil balances itself")), out.notes.join("\n"));
  });
});
