// Children get a clean environment (no NOTIFY_SOCKET, LISTEN_*, WATCHDOG_* or inherited VIGIL_*; what
// is passed on purpose is kept), and an OCF agent's path cannot leave the agents' directory, by name
// or by symlink.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { childEnv } from "../../src/adapters/child-env.js";
import { ocfAgentPath, verifiedOcfAgentPath } from "../../src/adapters/resources/ocf-path.js";

describe("childEnv", () => {
  it("drops what belongs to the daemon and keeps what is passed on purpose", () => {
    const env = childEnv(
      {
        PATH: "/usr/bin",
        NOTIFY_SOCKET: "/run/systemd/notify",
        LISTEN_FDS: "1",
        LISTEN_PID: "1",
        LISTEN_FDNAMES: "x",
        WATCHDOG_USEC: "1",
        WATCHDOG_PID: "1",
        VIGIL_FAULT_INJECTION: "1",
        VIGIL_RESOURCE: "stale",
        HA_RSCTMP: "/run/resource-agents",
      },
      { VIGIL_RESOURCE: "c/n1/g-0", VIGIL_GROUP: "g", OCF_RESKEY_x: "1" },
    );
    assert.deepEqual(env, {
      PATH: "/usr/bin",
      HA_RSCTMP: "/run/resource-agents",
      VIGIL_RESOURCE: "c/n1/g-0",
      VIGIL_GROUP: "g",
      OCF_RESKEY_x: "1",
    });
  });
});

describe("OCF agent paths", () => {
  const root = mkdtempSync(join(tmpdir(), "vigil-ocf-"));
  after(() => rmSync(root, { recursive: true, force: true }));
  const rd = join(root, "ocf", "resource.d");
  mkdirSync(join(rd, "heartbeat"), { recursive: true });
  mkdirSync(join(root, "elsewhere", "cluster"), { recursive: true });
  writeFileSync(join(rd, "heartbeat", "Dummy"), "#!/bin/sh\n", { mode: 0o755 });
  writeFileSync(join(root, "elsewhere", "cluster", "agent"), "#!/bin/sh\n", { mode: 0o755 });
  writeFileSync(join(root, "elsewhere", "evil"), "#!/bin/sh\n", { mode: 0o755 });
  symlinkSync(join(root, "elsewhere", "evil"), join(rd, "heartbeat", "Evil"));
  symlinkSync(join(root, "elsewhere", "cluster"), join(rd, "redhat"));
  const ocfRoot = join(root, "ocf");

  it("refuses names that leave resource.d", () => {
    for (const agent of ["../x", "heartbeat/..", "heartbeat/../../x", "/bin/sh", "a/b/c", "a", ".x/y"])
      assert.equal(ocfAgentPath(ocfRoot, agent).ok, false, agent);
    assert.deepEqual(ocfAgentPath(ocfRoot, "heartbeat/Dummy"), { ok: true, path: join(rd, "heartbeat", "Dummy") });
  });

  it("refuses an agent that is a symlink out of the OCF root", () => {
    const r = verifiedOcfAgentPath(ocfRoot, "heartbeat/Evil");
    assert.equal(r.ok, false);
    if (!r.ok) assert.match(r.detail, /resolves to .*elsewhere\/evil, outside the OCF root/);
  });

  it("accepts a plain agent, a missing one (running it fails as usual), and a provider directory linked elsewhere", () => {
    assert.equal(verifiedOcfAgentPath(ocfRoot, "heartbeat/Dummy").ok, true);
    assert.equal(verifiedOcfAgentPath(ocfRoot, "heartbeat/Missing").ok, true);
    assert.equal(verifiedOcfAgentPath(ocfRoot, "redhat/agent").ok, true);
  });
});
