// The reload plan (what a new config changes, and what only a restart can apply) and the selection of
// VIPs `vigil release-vips` removes.
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { parse } from "yaml";
import { loadConfigText } from "../../src/adapters/config-file.js";
import { describeGroupChange, planReload, sameValue } from "../../src/core/config/reload-plan.js";
import type { Config } from "../../src/core/config/schema.js";
import { configuredVips } from "../../src/core/config/vips.js";
import { tempKeyDir } from "../helpers/config.js";

const tmp = tempKeyDir();
after(() => tmp.cleanup());

const text = (o: { cluster?: string; nodes?: string; groups?: string } = {}) => `cluster:
  name: c1
  key_file: ${tmp.keyFile}
${o.cluster ?? ""}nodes:
${o.nodes ?? "  - { name: a, address: 127.0.0.1:7001 }\n  - { name: b, address: 127.0.0.1:7002 }\n  - { name: c, address: 127.0.0.1:7003 }\n"}groups:${o.groups ? `\n${o.groups}` : " []\n"}`;

function config(t: string): Config {
  const r = loadConfigText(t, "test.yaml");
  assert.ok(r.ok, r.ok ? "" : JSON.stringify(r.issues));
  return r.config;
}

const exec = (arg: string, monitor = "") => `      - { type: exec, path: /bin/svc, args: ["${arg}"]${monitor} }\n`;
const db = (resources: string, keys = "") => `  - name: db\n${keys}    resources:\n${resources}`;

describe("reload plan", () => {
  it("finds nothing to do in the same config, whatever the key order", () => {
    assert.ok(sameValue({ a: 1, b: [1, { c: 2 }] }, { b: [1, { c: 2 }], a: 1 }));
    assert.ok(!sameValue([1, 2], [2, 1]));
    const a = config(text({ groups: db(exec("x")) }));
    const plan = planReload(a, config(text({ groups: db(exec("x")) })));
    assert.deepEqual(plan, { restartNeeded: [], groups: [], virtualServers: false });
  });

  it("asks for a restart for cluster, node and api.listen changes, naming each key", () => {
    const a = config(text());
    const b = config(
      text({
        cluster: "  port: 5999\n  heartbeat: { lease: 300ms }\n",
        nodes:
          "  - { name: a, address: 127.0.0.1:7001, priority: 50 }\n  - { name: b, address: 127.0.0.1:7002 }\n  - { name: c, address: 127.0.0.1:7009 }\n",
      }),
    );
    const paths = planReload(a, b).restartNeeded.map((i) => i.path.join("."));
    assert.deepEqual(paths.sort(), ["cluster.heartbeat.lease", "cluster.port", "nodes.0.priority", "nodes.2.address"]);
    const lease = planReload(a, b).restartNeeded.find((i) => i.path.join(".") === "cluster.heartbeat.lease");
    assert.match(
      lease?.message ?? "",
      /^changed \(was 150ms\); cannot be applied by a reload: restart vigil on every node/,
    );
    const fewer = config(
      text({
        nodes:
          "  - { name: a, address: 127.0.0.1:7001 }\n  - { name: b, address: 127.0.0.1:7002 }\n  - { name: d, address: 127.0.0.1:7004 }\n",
      }),
    );
    assert.deepEqual(
      planReload(a, fewer).restartNeeded.map((i) => i.message.split("; cannot")[0]),
      ["the node list changed (added d; removed c)"],
    );
  });

  it("keeps the longest unchanged prefix of a group's resources, and tells a monitor-only change apart", () => {
    const a = config(text({ groups: db(exec("1") + exec("2") + exec("3") + exec("4")) }));
    const tail = planReload(a, config(text({ groups: db(exec("1") + exec("2") + exec("3b") + exec("4")) })));
    assert.deepEqual(
      tail.groups.map((g) => [g.kind, g.keep, g.before, g.after]),
      [["changed", 2, 4, 4]],
    );
    assert.equal(describeGroupChange(tail.groups[0]!, true), "group db: resources 3-4 restarted");
    assert.equal(describeGroupChange(tail.groups[0]!, false), "group db: resources 3-4 replaced (not running here)");
    const appended = planReload(
      a,
      config(text({ groups: db(exec("1") + exec("2") + exec("3") + exec("4") + exec("5")) })),
    );
    assert.equal(describeGroupChange(appended.groups[0]!, true), "group db: new resource 5 started");
    const cut = planReload(a, config(text({ groups: db(exec("1") + exec("2")) })));
    assert.equal(describeGroupChange(cut.groups[0]!, true), "group db: old resources 3-4 stopped");
    const monitor = planReload(
      a,
      config(
        text({ groups: db(exec("1") + exec("2", ", monitor: { interval: 5s, timeout: 1s }") + exec("3") + exec("4")) }),
      ),
    );
    assert.deepEqual(
      monitor.groups.map((g) => [g.keep, g.monitors]),
      [[4, [1]]],
    );
    assert.equal(describeGroupChange(monitor.groups[0]!, true), "group db: monitor of resource 2 updated");
  });

  it("applies placement keys without touching resources; reports added and removed groups", () => {
    const a = config(text({ groups: db(exec("1")) + "  - name: old\n    resources:\n" + exec("o") }));
    const b = config(
      text({
        groups: db(exec("1"), "    prefer: [b]\n    failback: true\n") + "  - name: web\n    resources:\n" + exec("w"),
      }),
    );
    const plan = planReload(a, b);
    assert.deepEqual(
      plan.groups.map((g) => describeGroupChange(g, false)),
      ["group db: prefer, failback changed", "group web added", "group old removed"],
    );
    assert.deepEqual(plan.groups[0]?.keep, 1);
  });
});

describe("release-vips: which addresses", () => {
  it("takes every vip resource with a well-formed address and interface, even from an invalid config", () => {
    const raw = parse(`cluster: { name: 1 }
groups:
  - name: db
    resources:
      - { type: vip, address: 10.0.0.10/24, interface: eth0 }
      - { type: exec, path: /bin/true }
      - { type: vip, address: "fd00::10/64", interface: eth1 }
  - name: web
    resources:
      - { type: vip, address: 10.0.0.10/24, interface: eth0 }
      - { type: vip, address: 10.0.0.11, interface: eth0 }
      - { type: vip, address: 10.0.0.12/24, interface: "eth0; rm -rf /" }
`);
    const r = configuredVips(raw);
    assert.deepEqual(r.vips, [
      { group: "db", address: "10.0.0.10/24", iface: "eth0" },
      { group: "db", address: "fd00::10/64", iface: "eth1" },
    ]);
    assert.deepEqual(r.skipped, [
      'groups[1].resources[1] (web): address "10.0.0.11" is not an address with prefix; skipped',
      'groups[1].resources[2] (web): interface "eth0; rm -rf /" is not an interface name; skipped',
    ]);
    assert.deepEqual(configuredVips(null), { vips: [], skipped: [] });
  });
});
