// `cluster.etcd` with https endpoints and a client certificate, against a real etcd that requires client
// certificates (made with openssl for the test): the configured client works, a client without the
// certificate is refused, and an unreadable TLS file is an error naming its key.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { EtcdClient } from "../../src/adapters/etcd/client.js";
import { isEtcdError } from "../../src/adapters/etcd/errors.js";
import { etcdClientFromConfig, readEtcdTls } from "../../src/adapters/etcd/from-config.js";
import { acquireLock } from "../../src/adapters/etcd/lock.js";
import { EtcdSession } from "../../src/adapters/etcd/session.js";
import { etcdSchema } from "../../src/core/config/etcd-schema.js";
import { EtcdCluster, etcdMissing, makeTestCertificates, type EtcdTestTls } from "../helpers/etcd.js";

const missing = etcdMissing() || (spawnSync("openssl", ["version"]).status === 0 ? false : "openssl is not installed");
if (missing) console.warn(`SKIPPED etcd TLS tests: ${missing}`);

describe("etcd over TLS with a client certificate", { skip: missing || undefined }, () => {
  let etcd: EtcdCluster;
  let certs: EtcdTestTls;
  const dir = mkdtempSync(join(tmpdir(), "vigil-etcd-tls-"));

  before(async () => {
    certs = makeTestCertificates(dir);
    etcd = await EtcdCluster.start(1, undefined, certs);
  });
  after(async () => {
    await etcd?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("works with the configured CA, certificate and key", async () => {
    const config = etcdSchema.parse({
      endpoints: etcd.endpoints,
      prefix: "/vigil/tls",
      ttl: "2s",
      ca_file: certs.ca,
      cert_file: certs.clientCert,
      key_file: certs.clientKey,
    });
    const c = etcdClientFromConfig(config);
    try {
      const s = await EtcdSession.open(c, { ttlSeconds: 2 });
      const r = await acquireLock(c, s, `${config.prefix}/lock`, "n1");
      assert.equal(r.acquired, true);
      await s.close();
    } finally {
      c.close();
    }
  });

  it("is refused without the client certificate, or without the CA", async () => {
    const ca = readEtcdTls(etcdSchema.parse({ endpoints: etcd.endpoints, prefix: "/v", ca_file: certs.ca }));
    for (const tls of [ca, undefined]) {
      const c = new EtcdClient({ endpoints: etcd.endpoints, tls, requestTimeoutMs: 2000 });
      try {
        await assert.rejects(
          c.range({ key: "/k" }),
          (e: unknown) =>
            isEtcdError(e, "E_ETCD_UNAVAILABLE") && /certificate|alert|socket hang up|ECONNRESET/i.test(e.message),
        );
      } finally {
        c.close();
      }
    }
  });

  it("names the key of a TLS file it cannot read", () => {
    const config = etcdSchema.parse({ endpoints: etcd.endpoints, prefix: "/v", ca_file: join(dir, "missing.pem") });
    assert.throws(() => readEtcdTls(config), /^Error: cluster\.etcd\.ca_file: cannot read .*missing\.pem: ENOENT/);
  });
});
