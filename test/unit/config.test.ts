import assert from "node:assert/strict";
import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { formatIssue, loadConfigFile, loadConfigText } from "../../src/adapters/config-file.js";
import { exampleWithKey, tempKeyDir } from "../helpers/config.js";

const tmp = tempKeyDir();
after(() => tmp.cleanup());

function load(text: string) {
  return loadConfigText(text, "test.yaml");
}

function errors(text: string): string[] {
  const r = load(text);
  assert.equal(r.ok, false, "expected the config to be rejected");
  return r.ok ? [] : r.issues.map(formatIssue);
}

const minimal = (extra = "") => `cluster:
  name: c1
  key_file: ${tmp.keyFile}
nodes:
  - name: a
    address: 127.0.0.1:7001
${extra}`;

describe("config: the shipped example", () => {
  it("is valid with a real key file and fills in defaults", () => {
    const r = load(exampleWithKey(tmp.keyFile));
    assert.ok(r.ok, r.ok ? "" : r.issues.map(formatIssue).join("\n"));
    assert.equal(r.config.cluster.heartbeat.interval, 25);
    assert.equal(r.config.cluster.heartbeat.lease, 150);
    assert.equal(r.config.nodes[2]?.witness, true);
    assert.equal(r.config.nodes[0]?.votes, 1);
    assert.equal(r.config.virtual_servers[0]?.persistence, 120_000);
    assert.equal(r.config.virtual_servers[0]?.check.timeout, 500);
    assert.deepEqual(
      r.config.groups.map((g) => [g.name, g.resources.map((x) => x.type)]),
      [
        ["db-shared", ["ocf", "systemd", "exec", "vip"]],
        ["db", ["mariadb", "vip"]],
        ["proxies", ["systemd"]],
        ["front", ["vip"]],
      ],
    );
    assert.equal(r.config.groups[2]?.clone, true);
    assert.deepEqual(
      r.config.groups[3]?.track?.map((t) => t.type),
      ["group", "interface", "ping", "exec"],
    );
    assert.deepEqual(
      r.config.virtual_servers.map((v) => [v.name, v.forward, v.protocol]),
      [
        ["mysql", "proxy", "tcp"],
        ["web", "nat", "tcp"],
      ],
    );
    assert.equal(r.config.cluster.coordination, "builtin");
  });
});

describe("config: located errors", () => {
  it("reports three mistakes at once, each with line:column, key path and what was expected", () => {
    const text = exampleWithKey(tmp.keyFile)
      .replace("port: 5405", "port: 70000")
      .replace("interval: 25ms", "interval: 25 ms please")
      .replace("scheduler: wrr", "scheduler: fastest");
    const errs = errors(text);
    assert.equal(errs.length, 3, errs.join("\n"));
    assert.match(errs[0] ?? "", /^test\.yaml:8:9: cluster\.port: expected at most 65535, got 70000 \[E_VALUE\]$/);
    assert.match(
      errs[1] ?? "",
      /^test\.yaml:10:15: cluster\.heartbeat\.interval: expected a duration such as "50ms", "1\.5s" or "2m", got "25 ms please"/,
    );
    assert.match(
      errs[2] ?? "",
      /^test\.yaml:\d+:16: virtual_servers\[0\]\.scheduler: expected one of rr, wrr, lc, wlc, sh/,
    );
  });

  it("points an unknown key at the key itself", () => {
    const errs = errors(minimal("    prority: 5\n"));
    assert.deepEqual(errs, ['test.yaml:7:5: nodes[0].prority: unknown key "prority" [E_UNKNOWN_KEY]']);
  });

  it("reports a missing required key at its parent", () => {
    const errs = errors(`cluster:\n  key_file: ${tmp.keyFile}\nnodes:\n  - name: a\n    address: 10.0.0.1\n`);
    assert.equal(errs.length, 1);
    assert.match(errs[0] ?? "", /^test\.yaml:2:3: cluster\.name: missing required key/);
  });

  it("reports YAML syntax errors with their position", () => {
    const errs = errors("cluster:\n  name: [unclosed\nnodes: []\n");
    assert.ok(errs.length >= 1);
    assert.match(errs[0] ?? "", /^test\.yaml:\d+:\d+: \(document\): .* \[E_YAML\]$/);
  });

  it("reports schema and cross-field mistakes together", () => {
    const errs = errors(
      exampleWithKey(tmp.keyFile).replace("lease: 150ms", "lease: 50ms").replace("priority: 100", "priority: high"),
    );
    assert.equal(errs.length, 2, errs.join("\n"));
    assert.ok(errs.some((e) => e.includes('nodes[1].priority: expected a whole number, got "high"')));
    assert.ok(errs.some((e) => e.includes("cluster.heartbeat.lease: lease 50ms must be at least 3 × interval (75ms)")));
  });
});

describe("config: cross-field rules", () => {
  it("accepts fast heartbeat timers down to lease = 3 × interval, and refuses a shorter lease", () => {
    const timers = (interval: string, lease: string) =>
      minimal().replace("nodes:", `  heartbeat: { interval: ${interval}, lease: ${lease} }\nnodes:`);
    for (const [interval, lease] of [
      ["10ms", "60ms"],
      ["10ms", "30ms"],
      ["5ms", "15ms"],
    ] as const) {
      const r = load(timers(interval, lease));
      assert.ok(r.ok, r.ok ? "" : r.issues.map(formatIssue).join("\n"));
      assert.deepEqual(
        [r.config.cluster.heartbeat.interval, r.config.cluster.heartbeat.lease],
        [parseInt(interval), parseInt(lease)],
      );
    }
    assert.ok(
      errors(timers("10ms", "29ms")).some((e) =>
        e.includes("cluster.heartbeat.lease: lease 29ms must be at least 3 × interval (30ms)"),
      ),
    );
  });

  it("refuses duplicate node names and addresses", () => {
    const errs = errors(
      minimal("  - name: a\n    address: 127.0.0.1:7001\n  - name: w\n    address: 127.0.0.1:7003\n"),
    );
    assert.ok(
      errs.some((e) => /nodes\[1\]\.name: node name "a" is already used by nodes\[0\]/.test(e)),
      errs.join("\n"),
    );
    assert.ok(
      errs.some((e) => /nodes\[1\]\.address: address 127\.0\.0\.1:7001 is already used by nodes\[0\]/.test(e)),
      errs.join("\n"),
    );
  });

  it("treats a bare address and the same address with the cluster port as one", () => {
    const text = `cluster:\n  name: c\n  key_file: ${tmp.keyFile}\nnodes:\n  - { name: a, address: 10.0.0.1 }\n  - { name: b, address: "10.0.0.1:5405" }\n  - { name: c, address: 10.0.0.3 }\n`;
    assert.ok(errors(text).some((e) => e.includes("nodes[1].address: address 10.0.0.1:5405 is already used")));
  });

  it("refuses a majority cluster of exactly two voters with a hint", () => {
    const errs = errors(minimal("  - name: b\n    address: 127.0.0.1:7002\n"));
    assert.equal(errs.length, 1);
    assert.match(errs[0] ?? "", /cluster\.quorum: .*add a witness node \(witness: true\) or set quorum: two_node/);
  });

  it("accepts two voters under quorum: two_node, and a single node", () => {
    const two = minimal("  - name: b\n    address: 127.0.0.1:7002\n").replace(
      "  key_file:",
      "  quorum: two_node\n  key_file:",
    );
    assert.ok(load(two).ok);
    assert.ok(load(minimal()).ok);
  });

  it("refuses prefer lists naming unknown nodes or witnesses", () => {
    const text = exampleWithKey(tmp.keyFile).replace("prefer: [h1]", "prefer: [h9, w3]");
    const errs = errors(text);
    assert.equal(errs.length, 2, errs.join("\n"));
    assert.match(errs[0] ?? "", /groups\[0\]\.prefer\[0\]: no node named "h9" \(nodes: h1, h2, w3\)/);
    assert.match(errs[1] ?? "", /groups\[0\]\.prefer\[1\]: "w3" is a witness; a witness votes but runs no groups/);
  });

  it("refuses virtual server addresses that do not parse", () => {
    const errs = errors(
      exampleWithKey(tmp.keyFile)
        .replace("listen: 10.77.0.100:3306", "listen: 10.77.0.100")
        .replace("10.77.0.22:3306", "10.77.0.22:0"),
    );
    assert.equal(errs.length, 2, errs.join("\n"));
    assert.ok(
      errs[0]?.includes(
        'virtual_servers[0].listen: expected an address IP:PORT such as 10.77.0.21:3306, got "10.77.0.100"',
      ),
    );
    assert.ok(errs[1]?.includes("virtual_servers[0].real_servers[1].address"));
  });

  it("refuses check keys that do not fit the check type, an exec check without a script and an unknown group", () => {
    const text = exampleWithKey(tmp.keyFile)
      .replace(
        "type: tcp                         # tcp",
        "type: exec\n      path: /health                         # tcp",
      )
      .replace("quiescent: true", "quiescent: true\n    group: nosuch");
    const errs = errors(text);
    assert.equal(errs.length, 3, errs.join("\n"));
    assert.match(
      errs.join("\n"),
      /virtual_servers\[0\]\.check\.path: path does not apply to exec checks \(exec checks take: script, args\) \[E_CHECK\]/,
    );
    assert.match(errs.join("\n"), /virtual_servers\[0\]\.check: an exec check needs script/);
    assert.match(
      errs.join("\n"),
      /virtual_servers\[0\]\.group: no group named "nosuch" \(groups: db-shared, db, proxies, front\)/,
    );
  });

  it("refuses a mariadb check without its account, keys of other check types and an unknown role", () => {
    const text = exampleWithKey(tmp.keyFile).replace(
      "type: tcp                         # tcp",
      "type: mariadb\n      script: /bin/true\n      role: leader                         # tcp",
    );
    const errs = errors(text).join("\n");
    assert.match(errs, /virtual_servers\[0\]\.check\.role: expected primary, replica or any/);
    const noRole = errors(text.replace("role: leader", "role: replica"));
    assert.equal(noRole.length, 2, noRole.join("\n"));
    assert.match(
      noRole.join("\n"),
      /virtual_servers\[0\]\.check\.script: script does not apply to mariadb checks \(mariadb checks take: port, user, password_file, role\)/,
    );
    assert.match(noRole.join("\n"), /virtual_servers\[0\]\.check: a mariadb check needs user: NAME and password_file/);
  });

  it("serves a virtual server on the owner of the group whose vip it listens on", async () => {
    const { servingGroup } = await import("../../src/core/config/virtual-server-checks.js");
    const r = load(exampleWithKey(tmp.keyFile));
    assert.ok(r.ok);
    const vs = r.config.virtual_servers[0];
    assert.ok(vs);
    assert.equal(servingGroup(vs, r.config.groups), "db-shared");
    assert.equal(servingGroup({ ...vs, listen: "10.77.0.9:80" }, r.config.groups), undefined);
  });
});

describe("config: the key file", () => {
  it("refuses a key readable by others, saying how to fix it", () => {
    const loose = join(tmp.dir, "loose.key");
    writeFileSync(loose, "k".repeat(64));
    chmodSync(loose, 0o644);
    const errs = errors(minimal().replace(tmp.keyFile, loose));
    assert.equal(errs.length, 1);
    assert.match(
      errs[0] ?? "",
      /cluster\.key_file: .*loose\.key has mode 0644; the cluster key must not be readable by group or others: chmod 600/,
    );
  });

  it("refuses a short key and a missing one", () => {
    const short = join(tmp.dir, "short.key");
    writeFileSync(short, "tooshort", { mode: 0o600 });
    assert.match(
      errors(minimal().replace(tmp.keyFile, short))[0] ?? "",
      /holds 8 bytes; the cluster key needs at least 32/,
    );
    assert.match(
      errors(minimal().replace(tmp.keyFile, join(tmp.dir, "nope.key")))[0] ?? "",
      /nope\.key does not exist \(make one with: vigil keygen -o/,
    );
  });

  it("reports a config file that cannot be read", () => {
    const r = loadConfigFile(join(tmp.dir, "missing.yaml"));
    assert.equal(r.ok, false);
    assert.match(
      r.ok ? "" : formatIssue(r.issues[0]!),
      /missing\.yaml:1:1: \(document\): cannot read config: file not found/,
    );
  });

  it("accepts tiebreaker and fence under two_node only", () => {
    const two = minimal("  - name: b\n    address: 127.0.0.1:7002\n").replace(
      "  key_file:",
      "  quorum: two_node\n  tiebreaker: 127.0.0.1\n  fence: { path: /usr/local/bin/fence-peer, timeout: 10s }\n  key_file:",
    );
    const r = load(two);
    assert.ok(r.ok, r.ok ? "" : r.issues.map(formatIssue).join("\n"));
    assert.deepEqual(r.config.cluster.fence, { path: "/usr/local/bin/fence-peer", args: [], timeout: 10_000 });
    const majority = minimal(
      "  - name: b\n    address: 127.0.0.1:7002\n  - name: c\n    address: 127.0.0.1:7003\n",
    ).replace("  key_file:", "  tiebreaker: 127.0.0.1\n  key_file:");
    assert.match(
      errors(majority)[0] ?? "",
      /cluster\.tiebreaker: tiebreaker applies only to quorum: two_node \[E_QUORUM\]/,
    );
  });
});

describe("config: operation timeouts and stop budgets", () => {
  const group = (resources: string, cluster = "") => `cluster:
  name: c1
  key_file: ${tmp.keyFile}${cluster}
nodes:
  - name: a
    address: 127.0.0.1:7001
groups:
  - name: db
    resources:
${resources}`;

  it("takes start and stop limits per resource, apart from the monitor's timeout", () => {
    const r = load(
      group(`      - type: exec
        path: /bin/true
        monitor: { interval: 1s, timeout: 5s }
        timeouts: { start: 90s, stop: 30s }`),
    );
    assert.ok(r.ok, r.ok ? "" : r.issues.map(formatIssue).join("\n"));
    const res = r.config.groups[0]?.resources[0];
    assert.deepEqual(res?.timeouts, { start: 90_000, stop: 30_000 });
    assert.equal(res?.type === "exec" ? res.monitor?.timeout : undefined, 5000);
  });

  it("refuses an unknown operation or a bad duration with its location", () => {
    const e = errors(
      group(`      - type: exec
        path: /bin/true
        timeouts: { stop: soon, restart: 5s }`),
    );
    assert.ok(
      e.some((l) => /test\.yaml:\d+:\d+: groups\[0\]\.resources\[0\]\.timeouts\.stop: expected a duration/.test(l)),
      e.join("\n"),
    );
    assert.ok(
      e.some((l) => /timeouts\.restart: unknown key "restart"/.test(l)),
      e.join("\n"),
    );
  });

  it("shows each group's stop budget in the summary: lease only for VIPs, the stops plus escalation otherwise", async () => {
    const { summarize } = await import("../../src/core/config/summary.js");
    const { stopBudget } = await import("../../src/core/config/stop-budget.js");
    const vipOnly = load(group(`      - { type: vip, address: 10.0.0.5/24, interface: eth0 }`));
    assert.ok(vipOnly.ok);
    assert.match(
      summarize(vipOnly.config, "f").join("\n"),
      /takeover from an unreachable owner after its lease \(150ms\): VIPs only/,
    );
    const slow = load(
      group(
        `      - { type: exec, path: /bin/true, timeouts: { stop: 2s } }
      - { type: vip, address: 10.0.0.5/24, interface: eth0 }`,
        `
  last_resort: { path: /sbin/reboot-now, timeout: 5s }`,
      ),
    );
    assert.ok(slow.ok, slow.ok ? "" : slow.issues.map(formatIssue).join("\n"));
    const g = slow.config.groups[0];
    assert.ok(g);
    assert.equal(
      stopBudget(g, slow.config.cluster, 100),
      2000 + 1000 + 1000 + 5000 + 100 + 1000 + 5000,
      "stop, grace, kill, last resort; guard: silence, kill, last resort",
    );
    assert.match(
      summarize(slow.config, "f").join("\n"),
      /stop budget 15\.1s \(stops, SIGKILL, then \/sbin\/reboot-now\)/,
    );
  });
});
