// `forward` and `protocol` of a virtual server: what the kernel (nftables) can and cannot do is refused
// with the key it concerns, and `vigil check`'s summary says what the network must do for nat.
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { formatIssue, loadConfigText } from "../../src/adapters/config-file.js";
import { summarize } from "../../src/core/config/summary.js";
import { tempKeyDir } from "../helpers/config.js";

const tmp = tempKeyDir();
after(() => tmp.cleanup());

const config = (vs: string) => `cluster:
  name: c1
  key_file: ${tmp.keyFile}
nodes:
  - name: a
    address: 127.0.0.1:7001
virtual_servers:
  - name: web
    listen: 10.77.0.101:80
${vs}
    real_servers:
      - address: 10.77.1.21:80
      - address: 10.77.1.22:80
`;

function errors(text: string): string[] {
  const r = loadConfigText(text, "test.yaml");
  return r.ok ? [] : r.issues.map(formatIssue);
}

describe("config: forward and protocol", () => {
  it("defaults to the userspace proxy over tcp", () => {
    const r = loadConfigText(config("    scheduler: rr"), "test.yaml");
    assert.ok(r.ok);
    assert.equal(r.config.virtual_servers[0]?.forward, "proxy");
    assert.equal(r.config.virtual_servers[0]?.protocol, "tcp");
  });

  it("accepts nat with sh and says in the summary how real servers must route replies", () => {
    const r = loadConfigText(config("    forward: nat\n    scheduler: sh"), "test.yaml");
    assert.ok(r.ok, r.ok ? "" : r.issues.map(formatIssue).join("\n"));
    const text = summarize(r.config, "test.yaml").join("\n");
    assert.match(
      text,
      /forward nat .*client address kept.*route replies through the owner.*ip route replace default via/,
    );
  });

  it("refuses udp through the proxy, lc in the kernel, PROXY protocol in the kernel and a tcp check of a udp port", () => {
    assert.match(
      errors(config("    protocol: udp")).join("\n"),
      /virtual_servers\[0\]\.protocol: protocol udp needs forward: nat or fullnat/,
    );
    assert.match(
      errors(config("    forward: nat\n    scheduler: lc")).join("\n"),
      /virtual_servers\[0\]\.scheduler: forward: nat schedules in the kernel with rr, wrr or sh; lc needs forward: proxy/,
    );
    assert.match(
      errors(config("    forward: fullnat\n    proxy_protocol: v2")).join("\n"),
      /virtual_servers\[0\]\.proxy_protocol: the kernel cannot add a PROXY protocol header/,
    );
    assert.match(
      errors(config("    forward: nat\n    protocol: udp")).join("\n"),
      /virtual_servers\[0\]\.check: a tcp check cannot probe a UDP service/,
    );
    assert.deepEqual(errors(config("    forward: nat\n    protocol: udp\n    check: { type: tcp, port: 53 }")), []);
    assert.match(
      errors(config("    forward: tunnel")).join("\n"),
      /virtual_servers\[0\]\.forward: expected proxy, nat or fullnat/,
    );
  });
});
