import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { formatIssue, loadConfigText } from "../../src/adapters/config-file.js";
import { opTimeouts, promoteTimeout, stopBudget } from "../../src/core/config/stop-budget.js";
import { tempKeyDir } from "../helpers/config.js";

const tmp = tempKeyDir();
after(() => tmp.cleanup());

/** The `db` group exactly as in ../shared/vigil.example.yaml, in a three-node cluster with a witness. */
const dbGroup = `  - name: db
    prefer: [h1, h2]
    resources:
      - type: mariadb                   # promotable: replica everywhere, primary where the group runs
        datadir: /var/lib/mysql
        port: 3306
        socket: /run/mysqld/mysqld.sock
        user: vigil                     # the account vigil uses for replication and monitoring
        password_file: /etc/vigil/db.password
        semi_sync: strict               # strict (no commit acknowledged before a replica has it) | on (falls back to async after a timeout) | off
        timeouts: { start: 120s, stop: 60s, promote: 30s }
      - type: vip
        address: 10.77.0.102/24
        interface: eth0
`;

const config = (groups: string) => `cluster:
  name: db-pair
  key_file: ${tmp.keyFile}
nodes:
  - { name: h1, address: 10.77.0.11, priority: 200 }
  - { name: h2, address: 10.77.0.12, priority: 100 }
  - { name: w3, address: 10.77.0.13, witness: true }
groups:
${groups}`;

function load(text: string) {
  return loadConfigText(text, "test.yaml");
}
function errors(text: string): string[] {
  const r = load(text);
  assert.equal(r.ok, false, "expected the config to be rejected");
  return r.ok ? [] : r.issues.map(formatIssue);
}

describe("config: type mariadb", () => {
  it("accepts the example's db group with every key as shown", () => {
    const r = load(config(dbGroup));
    assert.ok(r.ok, r.ok ? "" : r.issues.map(formatIssue).join("\n"));
    const db = r.config.groups[0]?.resources[0];
    assert.equal(db?.type, "mariadb");
    if (db?.type !== "mariadb") return;
    assert.equal(db.datadir, "/var/lib/mysql");
    assert.equal(db.port, 3306);
    assert.equal(db.semi_sync, "strict");
    assert.deepEqual(opTimeouts(db), { start: 120_000, stop: 60_000 });
    assert.equal(promoteTimeout(db), 30_000);
  });

  it("defaults: strict semi-sync, port 3306, 120s start, 60s stop, 30s promote; the stop counts in the budget", () => {
    const r = load(
      config(`  - name: db
    resources:
      - { type: mariadb, datadir: /srv/db, socket: /run/db.sock, user: vigil, password_file: /etc/vigil/db.pw }
`),
    );
    assert.ok(r.ok, r.ok ? "" : r.issues.map(formatIssue).join("\n"));
    const g = r.config.groups[0];
    const db = g?.resources[0];
    if (db?.type !== "mariadb" || !g) return assert.fail("no mariadb resource");
    assert.equal(db.semi_sync, "strict");
    assert.equal(db.port, 3306);
    assert.deepEqual(opTimeouts(db), { start: 120_000, stop: 60_000 });
    assert.equal(promoteTimeout(db), 30_000);
    assert.equal(stopBudget(g, {}, 100), 60_000 + 1_000 + 1_000 + 100 + 1_000);
  });

  it("names what is wrong: semi_sync value, relative datadir, user, unknown timeout key", () => {
    const errs = errors(
      config(
        dbGroup
          .replace("semi_sync: strict", "semi_sync: always")
          .replace("datadir: /var/lib/mysql", "datadir: var/lib/mysql")
          .replace("user: vigil", "user: 'vi gil'")
          .replace("promote: 30s }", "promote: 30s, demote: 5s }"),
      ),
    );
    assert.equal(errs.length, 4, errs.join("\n"));
    assert.ok(
      errs.some((e) => /groups\[0\]\.resources\[0\]\.semi_sync: expected strict, on or off/.test(e)),
      errs.join("\n"),
    );
    assert.ok(errs.some((e) => /resources\[0\]\.datadir: /.test(e)));
    assert.ok(errs.some((e) => /resources\[0\]\.user: expected a MariaDB user name/.test(e)));
    assert.ok(errs.some((e) => /resources\[0\]\.timeouts\.demote: unknown key/.test(e)));
  });

  it("refuses a VIP before the database, two databases in a group, and a shared datadir or port", () => {
    const vipFirst = `  - name: db
    resources:
      - { type: vip, address: 10.77.0.102/24, interface: eth0 }
      - { type: mariadb, datadir: /srv/a, socket: /run/a.sock, user: vigil, password_file: /etc/vigil/db.pw }
      - { type: mariadb, datadir: /srv/b, port: 3307, socket: /run/b.sock, user: vigil, password_file: /etc/vigil/db.pw }
  - name: db2
    resources:
      - { type: mariadb, datadir: /srv/a, socket: /run/c.sock, user: vigil, password_file: /etc/vigil/db.pw }
`;
    const errs = errors(config(vipFirst));
    assert.equal(errs.length, 4, errs.join("\n"));
    assert.ok(
      errs.some((e) => /groups\[0\]\.resources\[2\]: a group may have one mariadb resource.*\[E_MARIADB\]/.test(e)),
    );
    assert.ok(errs.some((e) => /groups\[0\]\.resources\[0\]: this address comes before the mariadb resource/.test(e)));
    assert.ok(errs.some((e) => /groups\[1\]\.resources\[0\]\.datadir: group db already uses \/srv\/a/.test(e)));
    assert.ok(errs.some((e) => /groups\[1\]\.resources\[0\]\.port: group db already uses port 3306/.test(e)));
  });
});
