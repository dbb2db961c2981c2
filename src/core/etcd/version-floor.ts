// The oldest etcd releases vigil's lease reasoning holds on: earlier ones can revoke a lease early after
// a leader change (etcd issue 15247, fixed in 3.5.13 and 3.4.31), so a holder could still count a lease
// etcd had already dropped. Debian 12 ships 3.4.23: fine for tests, not for production.

/** The fixed releases per minor line. */
export const ETCD_VERSION_FLOOR = { "3.4": [3, 4, 31], "3.5": [3, 5, 13] } as const;

/** Why etcd `version` (as `/version` reports it, e.g. "3.4.23") is too old or not understood, or
 * undefined when it is at or above the floor. */
export function etcdVersionProblem(version: string): string | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)/.exec(version);
  if (!m) return `etcd reports version "${version}", which vigil cannot read; it needs 3.5.13 or 3.4.31 or newer`;
  const [major, minor, patch] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const floor =
    major === 3 && minor === 4
      ? ETCD_VERSION_FLOOR["3.4"]
      : major === 3 && minor === 5
        ? ETCD_VERSION_FLOOR["3.5"]
        : undefined;
  const older = major < 3 || (major === 3 && minor < 4);
  if (older || (floor !== undefined && patch < floor[2]))
    return (
      `etcd ${version} can revoke a lease early after a leader change (etcd issue 15247); ` +
      `use ${floor ? floor.join(".") : "3.5.13"} or newer`
    );
  return undefined;
}
