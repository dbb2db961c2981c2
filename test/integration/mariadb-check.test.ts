// The mariadb health check against two real mariadbd on 127.0.0.1 (a primary and a replica of it): it
// passes only for the role asked for, says why it fails in words an operator acts on (read-only, not
// replicating, wrong password, unreadable password file, no server), and a virtual server's check config
// is refused without its account. Skipped, loudly, without MariaDB.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { killServer, startServer, type ServerSpec } from "../../src/adapters/mariadb/server-process.js";
import { pointAt } from "../../src/adapters/mariadb/replication.js";
import { withSql } from "../../src/adapters/mariadb/sql.js";
import { checkMariadb, type MariadbCheckRole } from "../../src/balancer/checks/mariadb.js";
import type { MariadbConfig } from "../../src/core/config/schema.js";

const why = existsSync("/usr/sbin/mariadbd") ? undefined : "mariadbd (Debian mariadb-server) is not installed";
if (why) process.stderr.write(`\n!!! SKIPPING the mariadb check test: ${why}\n\n`);

const dir = mkdtempSync(join(tmpdir(), "vigil-mariadb-check-"));
const passwordFile = join(dir, "db.password");
const password = "check-password-0123";
const base = 31000 + Math.floor(Math.random() * 2000) * 2;
const LOCAL = "127.0.0.1";

/** The spec of test server `i` (0: the primary, 1: its replica), on its own port and datadir. */
function spec(i: number): ServerSpec {
  const config = {
    type: "mariadb",
    datadir: join(dir, `db${i}`),
    port: base + i,
    bind: "node",
    socket: join(dir, `db${i}.sock`),
    user: "vigil",
    password_file: passwordFile,
    semi_sync: "off",
    timeouts: {},
  } as MariadbConfig;
  return { config, serverId: i + 1, host: LOCAL, password, tag: `check-test-${i}` };
}

const check = (i: number, role: MariadbCheckRole, file = passwordFile, user = "vigil") =>
  checkMariadb({ ip: LOCAL, port: base + i }, { user, passwordFile: file, role, timeoutMs: 2000 });

describe("mariadb health check", { skip: why }, () => {
  before(async () => {
    writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
    await Promise.all([startServer(spec(0), 120_000), startServer(spec(1), 120_000)]);
    await withSql({ socket: spec(0).config.socket, user: "vigil", password }, (sql) =>
      sql.query("SET GLOBAL read_only=OFF"),
    );
    await withSql({ socket: spec(1).config.socket, user: "vigil", password }, (sql) =>
      pointAt(sql, { host: LOCAL, port: base, user: "vigil", password }),
    );
  });
  after(async () => {
    await Promise.all([killServer(spec(0).config.datadir, 5000), killServer(spec(1).config.datadir, 5000)]);
    rmSync(dir, { recursive: true, force: true });
  });

  it("passes a writable primary as primary and any, and refuses it as a replica", async () => {
    const primary = await check(0, "primary");
    assert.ok(primary.ok, primary.detail);
    assert.match(primary.detail, /^writable in \d+ms$/);
    assert.ok((await check(0, "any")).ok);
    const asReplica = await check(0, "replica");
    assert.equal(asReplica.ok, false);
    assert.equal(asReplica.detail, "writable (a primary, not a replica)");
  });

  it("passes a replicating replica as replica only, and says when its replication stops", async () => {
    const deadline = Date.now() + 20_000;
    let r = await check(1, "replica");
    while (!r.ok && Date.now() < deadline) {
      await new Promise((res) => setTimeout(res, 200));
      r = await check(1, "replica");
    }
    assert.ok(r.ok, r.detail);
    assert.match(r.detail, /^replicating, \d+s behind in \d+ms$/);
    const asPrimary = await check(1, "primary");
    assert.deepEqual([asPrimary.ok, asPrimary.detail], [false, "read-only (not the primary)"]);
    await withSql({ socket: spec(1).config.socket, user: "vigil", password }, (sql) => sql.query("STOP SLAVE"));
    const stopped = await check(1, "replica");
    assert.deepEqual([stopped.ok, stopped.detail], [false, "replication stopped (IO thread No, SQL thread No)"]);
  });

  it("fails with the reason on a wrong password, an unreadable password file and a port without a server", async () => {
    const wrong = join(dir, "wrong.password");
    writeFileSync(wrong, "not-the-password\n", { mode: 0o600 });
    const denied = await check(0, "primary", wrong);
    assert.equal(denied.ok, false);
    assert.match(denied.detail, /Access denied for user 'vigil'/);
    const missing = await check(0, "primary", join(dir, "missing.password"));
    assert.equal(missing.ok, false);
    assert.match(missing.detail, /missing\.password/);
    const none = await checkMariadb(
      { ip: LOCAL, port: base + 2 },
      { user: "vigil", passwordFile, role: "any", timeoutMs: 2000 },
    );
    assert.equal(none.ok, false);
    assert.match(none.detail, /ECONNREFUSED/);
  });
});
