// The shared disk of the shared-disk test: an ext4 file system in an image file, attached to a loop device
// that every namespace host sees as the same /dev/loopN (as every node of a heartbeat cluster sees one SAN
// LUN). A MariaDB datadir is initialised on it before the cluster starts, in a mount namespace of its own,
// so no host ever sees that mount. destroy() detaches the loop device and removes the image; tests call
// it in `after`, so it runs on failure too.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Why this machine cannot make the disk (a tool or loop devices missing), or undefined when it can. */
export function loopDiskUnavailable(): string | undefined {
  for (const tool of ["losetup", "mkfs.ext4", "unshare", "nsenter", "mariadbd", "mariadb-install-db", "mariadb-admin"])
    if (spawnSync("sh", ["-c", `command -v ${tool}`]).status !== 0) return `${tool} is missing`;
  const r = spawnSync("losetup", ["--find"], { encoding: "utf8" });
  if (r.status !== 0) return `no free loop device (losetup --find: ${r.stderr.trim() || `exit ${r.status}`})`;
  return undefined;
}

/** Runs a command; throws with its output when it fails. */
function run(cmd: string, args: string[], input?: string): string {
  const r = spawnSync(cmd, args, { encoding: "utf8", input });
  if (r.status !== 0)
    throw new Error(`${cmd} ${args.join(" ")} failed (${r.error?.message ?? `exit ${r.status}`}): ${r.stderr.trim()}`);
  return r.stdout;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** An ext4 image on a loop device, in a temporary directory of its own (`dir`). */
export class LoopDisk {
  readonly dir = mkdtempSync(join(tmpdir(), "vigil-disk-"));
  readonly image = join(this.dir, "disk.img");
  /** /dev/loopN once attached. */
  device = "";

  /** Makes a sparse image of `sizeMb`, an ext4 file system on it, and attaches it to a free loop device. */
  attach(sizeMb = 256): void {
    run("truncate", ["-s", `${sizeMb}M`, this.image]);
    run("mkfs.ext4", ["-q", "-F", "-L", "vigil-shared", this.image]);
    this.device = run("losetup", ["--find", "--show", this.image]).trim();
  }

  /** Initialises a MariaDB datadir at `data/` on the disk with an account `user` (all privileges, from
   * anywhere), mounted in a private mount namespace for the while. */
  initMariadb(user: string, password: string): void {
    const mnt = join(this.dir, "init-mnt");
    mkdirSync(mnt, { recursive: true });
    const sql = join(this.dir, "init.sql");
    const q = (s: string) => `'${s.replaceAll("\\", "\\\\").replaceAll("'", "\\'")}'`;
    writeFileSync(
      sql,
      // In --bootstrap the grant tables are only read after FLUSH PRIVILEGES.
      `FLUSH PRIVILEGES;\nCREATE USER ${q(user)}@'%' IDENTIFIED BY ${q(password)};\nGRANT ALL PRIVILEGES ON *.* TO ${q(user)}@'%';\n`,
    );
    // Its own tmpdir: a temporary table in the shared /tmp was once removed under it by another suite.
    const tmp = join(this.dir, "tmp");
    mkdirSync(tmp, { recursive: true });
    const small = `--innodb-buffer-pool-size=16M --innodb-log-file-size=16M --tmpdir=${tmp}`;
    const script = [
      "set -e",
      `mount -t ext4 ${this.device} ${mnt}`,
      `trap 'umount ${mnt}' EXIT`,
      `mariadb-install-db --no-defaults --user=root --datadir=${mnt}/data --auth-root-authentication-method=socket --skip-test-db ${small} >/dev/null`,
      `mariadbd --no-defaults --user=root --datadir=${mnt}/data --bootstrap ${small} < ${sql} > ${this.dir}/bootstrap.log 2>&1 || { tail -n 5 ${this.dir}/bootstrap.log >&2; exit 1; }`,
    ].join("\n");
    run("unshare", ["--mount", "--propagation", "private", "sh", "-c", script]);
  }

  /** Detaches the loop device (retrying while the last mount of it is still being released) and removes
   * the image; throws when the device stays attached. */
  async destroy(): Promise<void> {
    let problem: string | undefined;
    if (this.device) {
      for (let i = 0; i < 50; i++) {
        const r = spawnSync("losetup", ["-d", this.device], { encoding: "utf8" });
        const attached = spawnSync("losetup", ["-j", this.image], { encoding: "utf8" }).stdout.trim();
        if (!attached) {
          problem = undefined;
          break;
        }
        problem = `losetup -d ${this.device}: ${r.stderr.trim() || "still attached"} (${attached})`;
        await sleep(200);
      }
    }
    rmSync(this.dir, { recursive: true, force: true });
    if (problem) throw new Error(`the shared disk was not cleaned up: ${problem}`);
  }
}
