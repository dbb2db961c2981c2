// `cluster.coordination` and `cluster.etcd`: the example's keys work, mistakes are located errors with
// a stable code, and `vigil check`'s summary names the backend.
import assert from "node:assert/strict";
import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { formatIssue, loadConfigText } from "../../src/adapters/config-file.js";
import { summarize } from "../../src/core/config/summary.js";
import { exampleWithKey, tempKeyDir } from "../helpers/config.js";

const tmp = tempKeyDir();
after(() => tmp.cleanup());

const base = (cluster: string) => `cluster:
  name: c1
  key_file: ${tmp.keyFile}
${cluster}nodes:
  - { name: a, address: 127.0.0.1:7001 }
`;

function ok(text: string) {
  const r = loadConfigText(text, "t.yaml");
  assert.ok(r.ok, r.ok ? "" : r.issues.map(formatIssue).join("\n"));
  return r.config;
}

function errors(text: string): string[] {
  const r = loadConfigText(text, "t.yaml");
  assert.equal(r.ok, false, "expected the config to be rejected");
  return r.ok ? [] : r.issues.map(formatIssue);
}

describe("config: coordination", () => {
  it("defaults to builtin, and the example's commented etcd block works when uncommented", () => {
    const example = exampleWithKey(tmp.keyFile);
    assert.equal(ok(example).cluster.coordination, "builtin");
    const etcd = example
      .replace("coordination: builtin ", "coordination: etcd    ")
      .replace(/\n {2}# etcd:\n {2}# {3}endpoints/, "\n  etcd:\n    endpoints")
      .replace("  #   prefix:", "    prefix:")
      .replace("  #   ttl:", "    ttl:");
    const c = ok(etcd).cluster;
    assert.equal(c.coordination, "etcd");
    assert.deepEqual(c.etcd, {
      endpoints: ["http://10.77.0.31:2379", "http://10.77.0.32:2379", "http://10.77.0.33:2379"],
      prefix: "/vigil/db-pair",
      ttl: 3000,
    });
  });

  it("accepts https endpoints with TLS client files, and normalizes a trailing slash", () => {
    const pem = "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n";
    for (const f of ["etcd-ca.pem", "etcd.pem", "etcd-key.pem"]) writeFileSync(join(tmp.dir, f), pem, { mode: 0o600 });
    const c = ok(
      base(`  coordination: etcd
  etcd:
    endpoints: [https://etcd1.example.com:2379/, "https://[::1]:2379"]
    prefix: /vigil/c1
    ca_file: ${join(tmp.dir, "etcd-ca.pem")}
    cert_file: ${join(tmp.dir, "etcd.pem")}
    key_file: ${join(tmp.dir, "etcd-key.pem")}
`),
    ).cluster;
    assert.deepEqual(c.etcd?.endpoints, ["https://etcd1.example.com:2379", "https://[::1]:2379"]);
    assert.equal(c.etcd?.ttl, 3000, "ttl defaults to 3s");
  });

  it("locates each mistake in the etcd block, all at once", () => {
    const errs = errors(
      base(`  coordination: etcd
  etcd:
    endpoints: [http://10.0.0.1, ftp://10.0.0.2:2379, "http://10.0.0.3:2379/v3", not a url]
    prefix: vigil/c1
    ttl: 2500ms
`),
    );
    const want = [
      /^t\.yaml:6:17: cluster\.etcd\.endpoints\[0\]: .*http:\/\/10\.0\.0\.1.*the port must be given.* \[E_VALUE\]$/,
      /cluster\.etcd\.endpoints\[1\]: .*the scheme must be http or https \[E_VALUE\]$/,
      /cluster\.etcd\.endpoints\[2\]: .*no path, query or fragment.* \[E_VALUE\]$/,
      /cluster\.etcd\.endpoints\[3\]: .*not a URL \[E_VALUE\]$/,
      /^t\.yaml:7:13: cluster\.etcd\.prefix: expected a key prefix .*starting with \/.* got "vigil\/c1" \[E_VALUE\]$/,
      /^t\.yaml:8:10: cluster\.etcd\.ttl: expected whole seconds of at least 2s .*"2500ms": etcd counts leases in whole seconds \[E_VALUE\]$/,
    ];
    assert.equal(errs.length, want.length, errs.join("\n"));
    want.forEach((re, i) => assert.match(errs[i] ?? "", re));
  });

  it("refuses a ttl under 2s, a trailing slash in the prefix, an unknown key", () => {
    const errs = errors(
      base(`  coordination: etcd
  etcd: { endpoints: [http://127.0.0.1:2379], prefix: /vigil/, ttl: 1s, tls: true }
`),
    );
    assert.equal(errs.length, 3, errs.join("\n"));
    assert.ok(errs.some((e) => /cluster\.etcd\.tls: unknown key "tls" \[E_UNKNOWN_KEY\]/.test(e)));
    assert.ok(errs.some((e) => /cluster\.etcd\.prefix: .*got "\/vigil\/"/.test(e)));
    assert.ok(
      errs.some((e) => /cluster\.etcd\.ttl: .*at least 2s: the session must survive a missed keepalive/.test(e)),
    );
  });

  it("refuses TLS files with http endpoints, a certificate without its key, mixed schemes, duplicates", () => {
    const errs = errors(
      base(`  coordination: etcd
  etcd:
    endpoints: [http://127.0.0.1:2379, http://127.0.0.1:2379]
    prefix: /v
    ca_file: /ca.pem
    cert_file: /c.pem
`),
    );
    assert.ok(
      errs.some((e) => /cluster\.etcd\.endpoints\[1\]: endpoint http:\/\/127\.0\.0\.1:2379 is listed twice/.test(e)),
    );
    assert.ok(errs.some((e) => /cluster\.etcd\.ca_file: ca_file applies only to https:\/\/ endpoints/.test(e)));
    assert.ok(errs.some((e) => /cluster\.etcd\.key_file: expected cert_file and key_file together/.test(e)));
    const mixed = errors(
      base(
        `  coordination: etcd\n  etcd: { endpoints: [http://a.example:2379, https://b.example:2379], prefix: /v }\n`,
      ),
    );
    assert.match(mixed.join("\n"), /cluster\.etcd\.endpoints: expected every endpoint to use the same scheme/);
  });

  it("ties coordination and the etcd block together", () => {
    assert.match(
      errors(base("  coordination: etcd\n")).join("\n"),
      /cluster\.etcd: missing required key: coordination: etcd needs cluster\.etcd: \{ endpoints, prefix, ttl \} \[E_MISSING\]/,
    );
    assert.match(
      errors(base("  etcd: { endpoints: [http://127.0.0.1:2379], prefix: /v }\n")).join("\n"),
      /cluster\.etcd: cluster\.etcd applies only to coordination: etcd .* \[E_VALUE\]/,
    );
    assert.match(
      errors(base("  coordination: zookeeper\n")).join("\n"),
      /cluster\.coordination: expected builtin or etcd/,
    );
    // Reported alongside an unrelated mistake elsewhere in the file.
    const both = errors(base("  coordination: etcd\n").replace("address: 127.0.0.1:7001", "address: nowhere"));
    assert.ok(
      both.some((e) => /nodes\[0\]\.address/.test(e)),
      both.join("\n"),
    );
    assert.ok(
      both.some((e) => /cluster\.etcd: missing required key/.test(e)),
      both.join("\n"),
    );
  });

  it("refuses quorum: two_node with etcd", () => {
    const text = `cluster:
  name: c1
  key_file: ${tmp.keyFile}
  quorum: two_node
  coordination: etcd
  etcd: { endpoints: [http://127.0.0.1:2379], prefix: /v }
nodes:
  - { name: a, address: 127.0.0.1:7001 }
  - { name: b, address: 127.0.0.1:7002 }
`;
    assert.match(
      errors(text).join("\n"),
      /cluster\.quorum: quorum: two_node applies only to coordination: builtin.* \[E_QUORUM\]/,
    );
  });
});

describe("config: the etcd TLS files", () => {
  it("must exist, hold PEM data, and the private key must not be readable by everyone", () => {
    const pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    const ca = join(tmp.dir, "ca.pem");
    const cert = join(tmp.dir, "cert.txt");
    const key = join(tmp.dir, "key.pem");
    writeFileSync(ca, pem);
    writeFileSync(cert, "not a certificate");
    writeFileSync(key, pem.replaceAll("CERTIFICATE", "PRIVATE KEY"), { mode: 0o644 });
    chmodSync(key, 0o644);
    const text = base(`  coordination: etcd
  etcd:
    endpoints: [https://127.0.0.1:2379]
    prefix: /v
    ca_file: ${join(tmp.dir, "missing.pem")}
    cert_file: ${cert}
    key_file: ${key}
`);
    const errs = errors(text);
    assert.equal(errs.length, 3, errs.join("\n"));
    assert.match(errs[0] ?? "", /cluster\.etcd\.ca_file: .*missing\.pem: file not found \[E_ETCD_FILE\]$/);
    assert.match(errs[1] ?? "", /cluster\.etcd\.cert_file: .*holds no PEM data/);
    assert.match(errs[2] ?? "", /cluster\.etcd\.key_file: .*readable by everyone \(mode 644\).*chmod 600/);
    chmodSync(key, 0o600);
    writeFileSync(cert, pem);
    ok(text.replace(join(tmp.dir, "missing.pem"), ca));
  });
});

describe("vigil check and vigil run with coordination: etcd", () => {
  const etcdConfig = base(`  coordination: etcd
  etcd: { endpoints: [http://10.0.0.1:2379, http://10.0.0.2:2379], prefix: /vigil/c1, ttl: 5s }
`);

  it("summarizes the backend", () => {
    const lines = summarize(ok(etcdConfig), "t.yaml");
    assert.ok(
      lines.includes(
        "coordination: etcd at 2 endpoints (http://10.0.0.1:2379, http://10.0.0.2:2379), prefix /vigil/c1, session ttl 5s (expect a failover within about ttl + 0.5s, plus a group's stop budget)",
      ),
      lines.join("\n"),
    );
    assert.ok(
      summarize(ok(base("")), "t.yaml").includes("coordination: builtin (vigil's own majority leases over UDP)"),
    );
  });
});
