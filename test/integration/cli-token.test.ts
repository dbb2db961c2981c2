// The CLI never hands the token to a listener it has not verified: `vigil status` (and every read) sends
// no token to whatever listens on the API port, a command without --api is not sent over TCP at all, and
// on a node with a running daemon a command goes through the local unix socket without any token.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { LocalCluster } from "../helpers/local-cluster.js";

const MAIN = new URL("../../dist/cli/main.js", import.meta.url).pathname;
/** Runs the CLI without blocking this process (the fake listener here must answer it). */
const vigil = (env: NodeJS.ProcessEnv, ...args: string[]) =>
  new Promise<{ status: number; stdout: string; stderr: string }>((resolve) =>
    execFile(process.execPath, [MAIN, ...args], { env: { ...process.env, ...env } }, (err, stdout, stderr) =>
      resolve({ status: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    ),
  );

let c: LocalCluster;
let fake: Server;
let fakePort = 0;
const seen: { method?: string; url?: string; headers: IncomingHttpHeaders }[] = [];
before(async () => {
  c = await LocalCluster.start({ nodes: 1 });
  fake = createServer((req, res) => {
    seen.push({ method: req.method, url: req.url, headers: req.headers });
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ ok: true, message: "a squatter says done" }));
  });
  await new Promise<void>((r) => fake.listen(0, "127.0.0.1", r));
  const a = fake.address();
  fakePort = typeof a === "object" && a ? a.port : 0;
});
after(async () => {
  fake?.close();
  await c?.stop();
});

/** A config for the CLI: the cluster's, with api.listen set and api.token_file as given. */
function cliConfig(name: string, listen: string, tokenFile: string): string {
  const text = readFileSync(c.configFile, "utf8").replace(
    /api:\n {2}token_file: .*\n/,
    `api:\n  listen: ${listen}\n  token_file: ${tokenFile}\n`,
  );
  const file = join(c.dir, name);
  writeFileSync(file, text);
  return file;
}

describe("the CLI and the token", () => {
  it("sends no token to a listener on the API port for status, with or without --api", async () => {
    const config = cliConfig("squat.yaml", `127.0.0.1:${fakePort}`, join(c.dir, "api.token"));
    const env = { VIGIL_RUNTIME_DIR: join(c.dir, "empty-run") };
    await vigil(env, "status", "-c", config);
    await vigil(
      env,
      "status",
      "-c",
      config,
      "--api",
      `127.0.0.1:${fakePort}`,
      "--token-file",
      join(c.dir, "api.token"),
    );
    await vigil(env, "events", "-c", config);
    assert.equal(seen.length, 3, JSON.stringify(seen));
    for (const s of seen) assert.equal(s.headers.authorization, undefined, JSON.stringify(s));
  });

  it("does not send a command over TCP unless --api names the address", async () => {
    const config = cliConfig("squat2.yaml", `127.0.0.1:${fakePort}`, join(c.dir, "api.token"));
    const before = seen.length;
    const r = await vigil({ VIGIL_RUNTIME_DIR: join(c.dir, "empty-run") }, "cleanup", "db", "-c", config);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /no usable local vigil socket .* --api IP:PORT --token-file FILE/);
    assert.equal(seen.length, before, "nothing reached the listener");
  });

  it("sends a command through the daemon's local socket without a token", async () => {
    const config = cliConfig("local.yaml", c.apiAddress("n1"), join(c.dir, "no-such.token"));
    const r = await vigil({ VIGIL_RUNTIME_DIR: c.runtimeDir }, "maintenance", "on", "-c", config);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /maintenance on/);
    await c.waitFor("maintenance on", async () =>
      ((await c.status("n1")) as { admin?: { maintenance?: boolean } } | undefined)?.admin?.maintenance
        ? true
        : undefined,
    );
    const off = await vigil({ VIGIL_RUNTIME_DIR: c.runtimeDir }, "maintenance", "off", "-c", config);
    assert.equal(off.status, 0, off.stderr);
    const status = await vigil({ VIGIL_RUNTIME_DIR: c.runtimeDir }, "status", "-c", config);
    assert.equal(status.status, 0, status.stderr);
    assert.match(status.stdout, /as seen by n1/);
  });
});
