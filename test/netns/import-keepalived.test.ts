// An imported keepalived pair runs: two keepalived.conf files (unicast, advert_int 0.3, a VIP, a
// vrrp_script checking the local service, a notify script) go through `vigil import keepalived`, and
// the printed vigil.yaml, unchanged, runs on two namespace hosts. Killing the owner's daemon moves the
// VIP to the other host (two_node: the survivor takes over after the lease); restarting it moves the
// VIP back (keepalived preempts without nopreempt: failback true); killing the service on the owner
// moves the VIP (the weight-0 track_script became a track, as in seed 004); the notify script is
// called in keepalived's convention. Skipped, loudly, where namespaces cannot be made.
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { importKeepalivedFiles, renderAndCheck } from "../../src/import/run-import.js";
import { netnsUnavailable } from "../helpers/netns.js";
import { NetnsCluster, SERVICE_PORT } from "../helpers/netns-cluster.js";

const why = netnsUnavailable();
if (why) process.stderr.write(`\n!!! SKIPPING network namespace tests: ${why}\n\n`);

/** keepalived.conf of one host, as an operator would have written it. */
function keepalivedConf(c: NetnsCluster, me: number, peer: number, priority: number): string {
  return `! keepalived on h${me - 10}
global_defs {
   router_id h${me - 10}
}
vrrp_script chk_service {
    script "/bin/bash -c '</dev/tcp/127.0.0.1/${SERVICE_PORT}'"
    interval 1
    timeout 1
}
vrrp_instance VI_WEB {
    state ${priority > 150 ? "MASTER" : "BACKUP"}
    interface eth0
    virtual_router_id 77
    priority ${priority}
    advert_int 0.3
    unicast_src_ip ${c.lab.addr(me)}
    unicast_peer {
        ${c.lab.addr(peer)}
    }
    authentication {
        auth_type PASS
        auth_pass netns-secret
    }
    virtual_ipaddress {
        ${c.vip}/24 dev eth0
    }
    track_script {
        chk_service
    }
    notify ${join(c.dir, "notify.sh")}
}
`;
}

/** SIGKILLs the service (responder.mjs) of one host, found among its namespace's processes. */
function killResponder(c: NetnsCluster, host: string): void {
  const pids = c.lab.exec(host, "ip", "netns", "pids", c.lab.ns(host)).out.trim().split(/\s+/).filter(Boolean);
  for (const pid of pids) {
    let cmdline = "";
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
    } catch {
      continue;
    }
    if (cmdline.includes("responder.mjs")) process.kill(Number(pid), "SIGKILL");
  }
}

describe("an imported keepalived pair in namespaces", { skip: why }, () => {
  let c: NetnsCluster;
  let yaml = "";
  before(async () => {
    c = new NetnsCluster("ik");
    const dir = join(c.dir, "keepalived");
    mkdirSync(dir);
    writeFileSync(join(c.dir, "notify.sh"), `#!/bin/sh\necho "$*" >> ${join(c.dir, "notify.log")}\n`, { mode: 0o755 });
    writeFileSync(join(dir, "h1.conf"), keepalivedConf(c, 11, 12, 200));
    writeFileSync(join(dir, "h2.conf"), keepalivedConf(c, 12, 11, 100));
    const result = importKeepalivedFiles(
      new Map([
        ["h1", join(dir, "h1.conf")],
        ["h2", join(dir, "h2.conf")],
      ]),
      { keyFile: join(c.dir, "cluster.key"), clusterName: "imported" },
    );
    const { text, issues } = renderAndCheck(result);
    assert.deepEqual(issues, [], "the import passes vigil check");
    yaml = text;
    writeFileSync(join(c.dir, "vigil.yaml"), text);
    await c.start(["h1", "h2"]);
  });
  after(async () => {
    await c?.destroy();
  });

  it("imports a two_node cluster with keepalived's timers, the track, the notify convention and no secret", () => {
    assert.match(yaml, /quorum: two_node/);
    assert.match(yaml, /interval: 300ms\n\s+lease: 1.083s/);
    assert.match(yaml, /type: exec, path: \/bin\/bash, args: \[ -c, "?<\/dev\/tcp\/127.0.0.1\/8080"? \]/);
    assert.match(yaml, /convention: keepalived/);
    assert.ok(!yaml.includes("netns-secret"));
  });

  it("puts the VIP on h1 (the higher priority) and moves it to h2 when h1's daemon is SIGKILLed", async (t) => {
    assert.equal(await c.waitForOwner("h1", 60_000), "h1");
    // No timed bound (the machine may be loaded): h1 answered, then h2 did, never both at once.
    const r = await c.probe(5000, 1000, () => c.signalVigil("h1", "SIGKILL"));
    const hosts = r.answers.filter((a) => a.host !== "-").map((a) => a.host);
    assert.ok(hosts.includes("h1"), "h1 answered before the kill");
    assert.equal(hosts.at(-1), "h2", `h2 answers after the kill (${JSON.stringify(r.answers.slice(-5))})`);
    assert.equal(r.doubleAnswers, 0, "never answers from both hosts at once");
    assert.deepEqual(c.vipHolders(), ["h2"]);
    t.diagnostic(`longest gap ${Math.round(r.longestGap)}ms`);
  });

  it("moves the VIP back to h1 when it returns (no nopreempt: failback)", async () => {
    c.startVigil("h1");
    assert.equal(await c.waitForOwner("h1", 60_000), "h1");
  });

  it("moves the VIP to h2 when the service on h1 dies (the imported track_script), and notified in keepalived's convention", async (t) => {
    const killed = Date.now();
    killResponder(c, "h1");
    assert.equal(await c.waitForOwner("h2", 60_000), "h2");
    t.diagnostic(
      `service killed → VIP on h2 after ${Date.now() - killed}ms (track: interval 1s, fall 1; lease 1.083s)`,
    );
    const log = readFileSync(join(c.dir, "notify.log"), "utf8");
    assert.match(log, /^INSTANCE VI_WEB MASTER 200$/m, log);
    assert.match(log, /^INSTANCE VI_WEB MASTER 100$/m, log);
  });
});
