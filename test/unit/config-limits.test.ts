// Config-time limits (src/core/config/limits.ts) give located errors, never crashes: YAML alias bombs
// and huge files, NUL bytes and kernel limits in strings that become arguments, environment values or
// paths, OCF agent names that would leave the agents' directory, and names and counts past the limits.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { formatIssue, loadConfigFile, loadConfigText } from "../../src/adapters/config-file.js";
import {
  MAX_ARG_BYTES,
  MAX_CONFIG_BYTES,
  MAX_ETCD_GROUPS,
  MAX_ETCD_NODES,
  MAX_GROUPS,
  MAX_NAME_LENGTH,
  MAX_NODES,
} from "../../src/core/config/limits.js";
import { tempKeyDir } from "../helpers/config.js";

const tmp = tempKeyDir();
after(() => tmp.cleanup());

const base = (extra = "", nodes = "  - name: a\n    address: 127.0.0.1:7001\n") => `cluster:
  name: c1
  key_file: ${tmp.keyFile}
nodes:
${nodes}${extra}`;

const execGroup = (args: string) => `groups:
  - name: g
    resources:
      - type: exec
        path: /bin/true
        args: ${args}
`;

function errors(text: string): string[] {
  const r = loadConfigText(text, "test.yaml");
  assert.equal(r.ok, false, "expected the config to be rejected");
  return r.ok ? [] : r.issues.map(formatIssue);
}

function accepted(text: string): void {
  const r = loadConfigText(text, "test.yaml");
  assert.ok(r.ok, r.ok ? "" : r.issues.map(formatIssue).join("\n"));
}

describe("config limits: YAML", () => {
  it("refuses an alias bomb with a located error at its first alias", () => {
    const bomb = `${base()}a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
`;
    const e = errors(bomb);
    assert.equal(e.length, 1, e.join("\n"));
    assert.match(e[0] ?? "", /^test\.yaml:8:8: \(document\): the document's aliases expand too far .*\[E_YAML\]$/);
  });

  it("still accepts a few aliases", () => {
    accepted(`${base()}groups:
  - name: g
    resources:
      - &r { type: exec, path: /bin/true }
  - name: h
    resources:
      - *r
`);
  });

  it("refuses a file over the size limit before parsing it", () => {
    const file = join(tmp.dir, "huge.yaml");
    writeFileSync(file, `${base()}# ${"x".repeat(MAX_CONFIG_BYTES)}\n`);
    const r = loadConfigFile(file);
    assert.equal(r.ok, false);
    if (!r.ok) assert.match(formatIssue(r.issues[0]!), /huge\.yaml:1:1: .*at most 4194304 are read \[E_YAML\]/);
  });
});

describe("config limits: NUL bytes and kernel limits", () => {
  it("refuses a NUL byte in an exec argument, located at the argument", () => {
    const e = errors(base(execGroup(`["ok", "bad\\0arg"]`)));
    assert.match(e.join("\n"), /test\.yaml:12:\d+: groups\[0\]\.resources\[0\]\.args\[1\]: .*NUL byte/);
  });

  it("refuses a NUL byte in a path", () => {
    const e = errors(base(`groups:\n  - name: g\n    resources:\n      - { type: exec, path: "/bin/tr\\0ue" }\n`));
    assert.match(e.join("\n"), /groups\[0\]\.resources\[0\]\.path: the path contains a NUL byte/);
  });

  it("refuses an argument over MAX_ARG_STRLEN", () => {
    const e = errors(base(execGroup(JSON.stringify(["x".repeat(MAX_ARG_BYTES)]))));
    assert.match(e.join("\n"), /args\[0\]: the argument is 131072 bytes; the kernel takes at most 131071/);
  });

  it("accepts an argument just under it, and refuses arguments too long together", () => {
    accepted(base(execGroup(JSON.stringify(["x".repeat(100_000)]))));
    const e = errors(base(execGroup(JSON.stringify(["x".repeat(100_000), "y".repeat(100_000), "z".repeat(100_000)]))));
    assert.match(e.join("\n"), /groups\[0\]\.resources\[0\]\.args: the arguments take 300003 bytes together/);
  });

  it("refuses NUL bytes, long values and bad names in OCF parameters", () => {
    const ocf = (params: string) =>
      base(
        `groups:\n  - name: g\n    resources:\n      - type: ocf\n        agent: heartbeat/Dummy\n        params: ${params}\n`,
      );
    assert.match(errors(ocf(`{ state: "a\\0b" }`)).join("\n"), /params\.state: the value contains a NUL byte/);
    assert.match(
      errors(ocf(JSON.stringify({ big: "x".repeat(MAX_ARG_BYTES) }))).join("\n"),
      /params\.big: the value is 131072 bytes/,
    );
    assert.match(errors(ocf(`{ "a=b": "1" }`)).join("\n"), /params\.a=b: expected a parameter name/);
    accepted(ocf(`{ state: /run/x, n: 3, on: true }`));
  });
});

describe("config limits: OCF agent names", () => {
  const ocf = (agent: string) =>
    base(`groups:\n  - name: g\n    resources:\n      - type: ocf\n        agent: ${JSON.stringify(agent)}\n`);
  for (const agent of ["../heartbeat", "heartbeat/..", "heartbeat/../../../bin/sh", "/bin/sh", "a/b/c", "./x", ".x/y"])
    it(`refuses ${agent}`, () => {
      assert.match(
        errors(ocf(agent)).join("\n"),
        /test\.yaml:11:16: groups\[0\]\.resources\[0\]\.agent: expected PROVIDER\/AGENT/,
      );
    });
  it("accepts heartbeat/IPaddr2 and a provider with dots inside", () => {
    accepted(ocf("heartbeat/IPaddr2"));
    accepted(ocf("my.vendor/agent-1.2"));
  });
});

describe("config limits: names and counts", () => {
  it("refuses a group name over 63 characters, saying how long it is", () => {
    const long = "g".repeat(MAX_NAME_LENGTH + 1);
    const e = errors(base(`groups:\n  - name: ${long}\n    resources:\n      - { type: exec, path: /bin/true }\n`));
    assert.match(
      e.join("\n"),
      /test\.yaml:8:\d+: groups\[0\]\.name: expected a name .*at most 63\), got one of 64 characters/,
    );
    accepted(
      base(
        `groups:\n  - name: ${"g".repeat(MAX_NAME_LENGTH)}\n    resources:\n      - { type: exec, path: /bin/true }\n`,
      ),
    );
  });

  it("refuses names with other characters", () => {
    const e = errors(base("", "  - name: a/b\n    address: 127.0.0.1:7001\n"));
    assert.match(e.join("\n"), /nodes\[0\]\.name: expected a name of letters/);
  });

  it(`refuses more than ${MAX_NODES} nodes`, () => {
    const nodes = Array.from(
      { length: MAX_NODES + 1 },
      (_, i) => `  - { name: n${i}, address: "127.0.0.1:${7001 + i}" }\n`,
    );
    assert.match(errors(base("", nodes.join(""))).join("\n"), /test\.yaml:5:\d+: nodes: at most 9 nodes are supported/);
  });

  it(`refuses more than ${MAX_GROUPS} groups, and accepts ${MAX_GROUPS} with long names`, () => {
    const groups = (n: number) =>
      `groups:\n${Array.from({ length: n }, (_, i) => `  - { name: ${`g${i}-`.padEnd(MAX_NAME_LENGTH, "x")}, resources: [{ type: exec, path: /bin/true }] }\n`).join("")}`;
    assert.match(errors(base(groups(MAX_GROUPS + 1))).join("\n"), /groups: at most 500 groups are supported/);
    accepted(base(groups(MAX_GROUPS)));
  });

  it(`takes up to ${MAX_ETCD_NODES} nodes and ${MAX_ETCD_GROUPS} groups with coordination: etcd, and no more`, () => {
    const etcdBase = (nodeCount: number, groupCount: number) =>
      `cluster:\n  name: c1\n  key_file: ${tmp.keyFile}\n  coordination: etcd\n  etcd: { endpoints: [http://127.0.0.1:2379], prefix: /v }\nnodes:\n${Array.from({ length: nodeCount }, (_, i) => `  - { name: n${i}, address: "127.0.0.1:${7001 + i}" }\n`).join("")}groups:\n${Array.from({ length: groupCount }, (_, i) => `  - { name: g${i}, resources: [{ type: exec, path: /bin/true }] }\n`).join("")}`;
    accepted(etcdBase(10, 1000));
    accepted(etcdBase(MAX_ETCD_NODES, MAX_ETCD_GROUPS));
    const e = errors(etcdBase(MAX_ETCD_NODES + 1, MAX_ETCD_GROUPS + 1)).join("\n");
    assert.match(e, /nodes: at most 32 nodes are supported \(with coordination: etcd\)/);
    assert.match(e, /groups: at most 2000 groups are supported \(with coordination: etcd\)/);
  });

  it("says how to go past the builtin backend's limits", () => {
    const nodes = Array.from({ length: 12 }, (_, i) => `  - { name: n${i}, address: "127.0.0.1:${7001 + i}" }\n`);
    assert.match(
      errors(base("", nodes.join(""))).join("\n"),
      /nodes: at most 9 nodes are supported with coordination: builtin .*coordination: etcd takes up to 32/,
    );
  });
});
