// The configuration of the field reports' own database failover, written for KeepalivedDb: per host a
// my.cnf (binary log, GTID strict mode, durable commits, MariaDB's semi-sync switched on as such setups
// do: master and slave side on both servers, default timeout and wait point), keepalived's check script
// (`mariadb-admin ping` on the local socket) and its notify script (MASTER: STOP SLAVE and read_only=0;
// BACKUP and FAULT: read_only=1). Written for this harness, not copied from anyone's setup.
import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** Where one database host keeps its files (all on the shared file system, one directory per host). */
export interface HostFiles {
  dir: string;
  datadir: string;
  socket: string;
  cnf: string;
  errorLog: string;
  /** One line per notify call: "<epoch seconds> <state> begin|done". */
  notifyLog: string;
}

/** The file layout of `host` under `base`. */
export function hostFiles(base: string, host: string): HostFiles {
  const dir = join(base, host);
  return {
    dir,
    datadir: join(dir, "data"),
    socket: join(dir, "mysqld.sock"),
    cnf: join(dir, "my.cnf"),
    errorLog: join(dir, "mariadbd.err"),
    notifyLog: join(dir, "notify.log"),
  };
}

/** Writes the host's my.cnf: the replica also starts read-only. Semi-sync timeout and wait point are left
 * at MariaDB's defaults (10s, AFTER_COMMIT in 10.11), as such setups leave them. */
export function writeMyCnf(f: HostFiles, serverId: number, replica: boolean, port: number): void {
  const lines = [
    "[mariadbd]",
    "user = root",
    `datadir = ${f.datadir}`,
    `socket = ${f.socket}`,
    `pid-file = ${join(f.dir, "mariadbd.pid")}`,
    `log-error = ${f.errorLog}`,
    `tmpdir = ${join(f.dir, "tmp")}`,
    `port = ${port}`,
    "bind-address = 0.0.0.0",
    "skip-name-resolve",
    // Small memory, as vigil's servers in the other half of the bench.
    "innodb_buffer_pool_size = 16M",
    "innodb_log_file_size = 16M",
    "performance_schema = OFF",
    "max_connections = 300",
    `server_id = ${serverId}`,
    "log_bin = mariadb-bin",
    "binlog_format = ROW",
    "log_slave_updates = ON",
    "relay_log = relay-bin",
    "gtid_strict_mode = ON",
    "sync_binlog = 1",
    "innodb_flush_log_at_trx_commit = 1",
    "rpl_semi_sync_master_enabled = ON",
    "rpl_semi_sync_slave_enabled = ON",
    ...(replica ? ["read_only = ON"] : []),
    "",
  ];
  writeFileSync(f.cnf, lines.join("\n"));
}

/** Writes the notify script keepalived calls on every state change of the host (argument: master, backup
 * or fault): MASTER promotes the local server (stops replication, opens writes), BACKUP and FAULT make
 * it read-only. Each call is logged to the host's notify log. Returns its path. */
export function writeNotifyScript(f: HostFiles): string {
  const path = join(f.dir, "notify.sh");
  writeFileSync(
    path,
    [
      "#!/bin/sh",
      "# keepalived notify: $1 is the new VRRP state of this host.",
      `log=${f.notifyLog}`,
      `db() { mariadb --no-defaults --socket=${f.socket} --user=root --connect-timeout=2 -e "$1"; }`,
      'echo "$(date +%s.%N) $1 begin" >>"$log"',
      'case "$1" in',
      '  master) db "STOP SLAVE"; db "SET GLOBAL read_only = 0" ;;',
      '  backup | fault) db "SET GLOBAL read_only = 1" ;;',
      "esac",
      'echo "$(date +%s.%N) $1 done" >>"$log"',
      "",
    ].join("\n"),
  );
  chmodSync(path, 0o755);
  return path;
}

/** keepalived configuration lines (see NetnsCluster.startKeepalived) of the host: a check of the local
 * mariadbd every second (two failures: FAULT, the VIP leaves), tracked by the instance, and the notify
 * script for MASTER, BACKUP and FAULT. */
export function keepalivedExtra(
  f: HostFiles,
  notify: string,
): { globalDefs: string[]; before: string[]; instance: string[] } {
  return {
    globalDefs: ["script_user root"],
    before: [
      "vrrp_script chk_mariadb {",
      `  script "/usr/bin/mariadb-admin --no-defaults --socket=${f.socket} --connect-timeout=1 ping"`,
      "  interval 1",
      "  timeout 2",
      "  fall 2",
      "  rise 2",
      "}",
    ],
    instance: [
      "track_script {",
      "  chk_mariadb",
      "}",
      `notify_master "${notify} master"`,
      `notify_backup "${notify} backup"`,
      `notify_fault "${notify} fault"`,
    ],
  };
}
