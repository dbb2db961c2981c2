// `clone:` and `track:` in the config: defaults, every check type, and the located errors of the rules
// that span groups.
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { formatIssue, loadConfigText } from "../../src/adapters/config-file.js";
import { tempKeyDir } from "../helpers/config.js";

const tmp = tempKeyDir();
after(() => tmp.cleanup());

const config = (groups: string, extra = "") => `cluster:
  name: c1
  key_file: ${tmp.keyFile}
nodes:
  - { name: h1, address: 10.77.0.11 }
  - { name: h2, address: 10.77.0.12 }
  - { name: w3, address: 10.77.0.13, witness: true }
groups:
${groups}
${extra}`;

const proxies = `  - name: proxies
    clone: true
    resources:
      - { type: systemd, unit: haproxy.service, monitor: { interval: 2s, timeout: 1s } }
`;

function errors(text: string): string[] {
  const r = loadConfigText(text, "t.yaml");
  assert.equal(r.ok, false, "expected the config to be rejected");
  return r.ok ? [] : r.issues.map(formatIssue);
}

describe("config: clone and track", () => {
  it("accepts the example's proxies + front and fills in each check's defaults", () => {
    const r = loadConfigText(
      config(`${proxies}  - name: front
    prefer: [h1]
    failback: true
    track:
      - { type: group, name: proxies }
      - { type: interface, name: eth0 }
      - { type: ping, address: 10.77.0.1, interval: 1s, fall: 3, rise: 2 }
      - { type: ping, address: "10.77.0.1:80" }
      - { type: exec, path: /usr/local/bin/check-upstream, interval: 2s, timeout: 1s, fall: 2, rise: 2 }
    resources:
      - { type: vip, address: 10.77.0.101/24, interface: eth0 }
`),
      "t.yaml",
    );
    assert.ok(r.ok, r.ok ? "" : r.issues.map(formatIssue).join("\n"));
    const [p, f] = r.config.groups;
    assert.equal(p?.clone, true);
    assert.equal(f?.clone, false);
    assert.deepEqual(f?.track, [
      { type: "group", name: "proxies" },
      { type: "interface", name: "eth0", interval: 200, rise: 1, fall: 1 },
      { type: "ping", address: "10.77.0.1", interval: 1000, timeout: 1000, rise: 2, fall: 3 },
      { type: "ping", address: "10.77.0.1:80", interval: 1000, timeout: 1000, rise: 2, fall: 3 },
      {
        type: "exec",
        path: "/usr/local/bin/check-upstream",
        args: [],
        interval: 2000,
        timeout: 1000,
        rise: 2,
        fall: 2,
      },
    ]);
  });

  it("refuses a track of a missing group, of a group that is not a clone, and duplicate checks, each located", () => {
    const errs = errors(
      config(`${proxies}  - name: db
    resources: [{ type: exec, path: /bin/true }]
  - name: front
    track:
      - { type: group, name: proxeis }
      - { type: group, name: db }
      - { type: interface, name: eth0 }
      - { type: interface, name: eth0, interval: 1s }
    resources: [{ type: vip, address: 10.77.0.101/24, interface: eth0 }]
`),
    );
    assert.equal(errs.length, 3, errs.join("\n"));
    assert.match(
      errs[0] ?? "",
      /^t\.yaml:17:30: groups\[2\]\.track\[0\]\.name: no group named "proxeis" \(clone groups: proxies\) \[E_REFERENCE\]$/,
    );
    assert.match(errs[1] ?? "", /groups\[2\]\.track\[1\]\.name: group "db" is not a clone; .* \[E_REFERENCE\]$/);
    assert.match(
      errs[2] ?? "",
      /groups\[2\]\.track\[3\]: the same check as track\[2\]; list each check once \[E_DUPLICATE\]$/,
    );
  });

  it("refuses on a clone: prefer, failback, track and any address resource", () => {
    const errs = errors(
      config(`  - name: proxies
    clone: true
    prefer: [h1]
    failback: true
    track: [{ type: interface, name: eth0 }]
    resources:
      - { type: vip, address: 10.77.0.101/24, interface: eth0 }
      - { type: ocf, agent: heartbeat/IPaddr2, params: { ip: 10.77.0.102 } }
      - { type: exec, path: /bin/true }
`),
    );
    assert.deepEqual(
      errs.map((e) => e.replace(/^t\.yaml:\d+:\d+: /, "").replace(/:.*\[/, " [")),
      [
        "groups[0].prefer [E_VALUE]",
        "groups[0].failback [E_VALUE]",
        "groups[0].track [E_VALUE]",
        "groups[0].resources[0] [E_VALUE]",
        "groups[0].resources[1] [E_VALUE]",
      ],
    );
    assert.match(errs[3] ?? "", /held by several nodes/);
  });

  it("refuses unknown check types and keys, bad addresses, timeouts over the interval, and a virtual server tied to a clone", () => {
    const errs = errors(
      config(
        `${proxies}  - name: front
    track:
      - { type: arp, name: eth0 }
      - { type: ping, address: 10.77.0.300 }
      - { type: ping, address: 10.77.0.1, timeout: 2s, interval: 1s }
      - { type: exec, path: check-upstream }
      - { type: interface, name: eth0, timeout: 1s }
      - { type: ping, address: 10.77.0.1, fall: 0 }
    resources: [{ type: vip, address: 10.77.0.101/24, interface: eth0 }]
`,
        `virtual_servers:
  - name: site
    listen: 10.77.0.102:80
    group: proxies
    real_servers: [{ address: 10.77.1.21:80 }]
`,
      ),
    );
    const text = errs.join("\n");
    assert.match(text, /groups\[1\]\.track\[0\]\.type: .*group, interface, ping or exec/);
    assert.match(
      text,
      /groups\[1\]\.track\[1\]\.address: expected an IP address, or IP:PORT for a TCP check, got "10\.77\.0\.300"/,
    );
    assert.match(text, /groups\[1\]\.track\[3\]\.path: expected an absolute path/);
    assert.match(text, /groups\[1\]\.track\[4\]\.timeout: unknown key "timeout" \[E_UNKNOWN_KEY\]/);
    assert.match(text, /groups\[1\]\.track\[5\]\.fall: expected at least 1, got 0/);
    // The timing rule is a cross-field rule: it runs only once the group itself is valid.
    const timing = errors(
      config(`${proxies}  - name: front
    track: [{ type: ping, address: 10.77.0.1, timeout: 2s, interval: 1s }]
    resources: [{ type: vip, address: 10.77.0.101/24, interface: eth0 }]
`),
    );
    assert.match(
      timing.join("\n"),
      /groups\[1\]\.track\[0\]\.timeout: track timeout 2000ms exceeds its interval 1000ms \[E_TIMING\]/,
    );
    const vs = errors(
      config(
        proxies,
        `virtual_servers:
  - name: site
    listen: 10.77.0.102:80
    group: proxies
    real_servers: [{ address: 10.77.1.21:80 }]
`,
      ),
    );
    assert.match(vs.join("\n"), /virtual_servers\[0\]\.group: group "proxies" is a clone; .* \[E_REFERENCE\]/);
  });

  it("accepts notify in keepalived's convention and exec resources in heartbeat's", () => {
    const r = loadConfigText(
      config(`  - name: front
    notify: { path: /etc/keepalived/notify.sh, convention: keepalived, name: VI_1 }
    resources:
      - { type: exec, path: /etc/ha.d/resource.d/httpd, args: [extra], convention: heartbeat }
  - name: plain
    notify: /usr/local/bin/vigil-notify
    resources: [{ type: exec, path: /etc/init.d/foo }]
`),
      "t.yaml",
    );
    assert.ok(r.ok, r.ok ? "" : r.issues.map(formatIssue).join("\n"));
    assert.deepEqual(r.config.groups[0]?.notify, {
      path: "/etc/keepalived/notify.sh",
      args: [],
      convention: "keepalived",
      name: "VI_1",
    });
    assert.equal(r.config.groups[1]?.notify, "/usr/local/bin/vigil-notify");
    const res = r.config.groups[0]?.resources[0];
    assert.equal(res?.type === "exec" && res.convention, "heartbeat");
    const res1 = r.config.groups[1]?.resources[0];
    assert.equal(res1?.type === "exec" && res1.convention, "lsb");
    const bad = errors(
      config(`  - name: front
    notify: { path: /x, convention: ucarp }
    resources: [{ type: exec, path: /etc/init.d/foo, convention: systemv }]
`),
    );
    assert.equal(bad.length, 2, bad.join("\n"));
    assert.match(bad[1] ?? "", /groups\[0\]\.resources\[0\]\.convention: expected lsb or heartbeat/);
  });
});
