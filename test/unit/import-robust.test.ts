// Damaged input never crashes an importer: every prefix of each fixture (cut mid-line, mid-quote,
// mid-block) and each fixture with one line dropped either imports (and renders) or stops with an
// ImportError carrying a stable code.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { readAuthkeys, readHaCf, readHaresources } from "../../src/core/import/heartbeat-files.js";
import { importHeartbeat } from "../../src/core/import/heartbeat.js";
import { importKeepalived } from "../../src/core/import/keepalived.js";
import { tokenizeKeepalived } from "../../src/core/import/keepalived-syntax.js";
import { importLdirectord } from "../../src/core/import/ldirectord.js";
import { ImportError } from "../../src/core/import/types.js";
import { renderImport } from "../../src/import/render-yaml.js";
import { fixture } from "../helpers/import-check.js";

/** Every 5th prefix and every one-line-dropped variant of `text`. */
function damaged(text: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += 5) out.push(text.slice(0, i));
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) out.push([...lines.slice(0, i), ...lines.slice(i + 1)].join("\n"));
  return out;
}

function survives(what: string, run: () => unknown): void {
  try {
    const r = run();
    renderImport(r as Parameters<typeof renderImport>[0]);
  } catch (e) {
    if (e instanceof ImportError) return;
    assert.fail(`${what}: ${(e as Error).stack}`);
  }
}

const addresses = new Map([
  ["a", "10.0.0.1"],
  ["b", "10.0.0.2"],
]);
const common = { clusterName: "t", keyFile: "/etc/vigil/cluster.key" };

describe("importers on damaged input", () => {
  it("keepalived: prefixes and dropped lines of two fixtures", () => {
    for (const f of ["keepalived-lvs/lb1.conf", "keepalived-pitfalls/pitfalls.conf", "keepalived/h1/conf.d/web.conf"]) {
      const text = readFileSync(fixture(f), "utf8");
      for (const t of damaged(text))
        survives(`${f} ${JSON.stringify(t.slice(-30))}`, () =>
          importKeepalived({
            nodes: [
              { name: "a", file: "a.conf", tokens: tokenizeKeepalived(t, "a.conf") },
              { name: "b", file: "b.conf", tokens: tokenizeKeepalived(text, "b.conf") },
            ],
            addresses,
            ...common,
          }),
        );
    }
  });

  it("heartbeat: prefixes and dropped lines of ha.cf, haresources and authkeys", () => {
    const [haCf, hr, ak] = ["heartbeat/ha.cf", "heartbeat/haresources", "heartbeat/authkeys"].map((f) =>
      readFileSync(fixture(f), "utf8"),
    ) as [string, string, string];
    const run = (c: string, r: string, k: string) => () => {
      const lines = readHaCf(c, "ha.cf");
      const nodes = lines.flatMap((l) => (l.words[0] === "node" ? l.words.slice(1) : []));
      return importHeartbeat({
        haCf: { file: "ha.cf", lines },
        haresources: { file: "haresources", lines: readHaresources(r, "haresources", nodes) },
        authkeys: { file: "authkeys", shape: readAuthkeys(k, "authkeys") },
        addresses: new Map(),
        defaultInterface: "eth0",
        ...common,
      });
    };
    for (const t of damaged(haCf)) survives(`ha.cf ${JSON.stringify(t.slice(-30))}`, run(t, hr, ak));
    for (const t of damaged(hr)) survives(`haresources ${JSON.stringify(t.slice(-30))}`, run(haCf, t, ak));
    for (const t of damaged(ak)) {
      try {
        run(haCf, hr, t)();
      } catch (e) {
        assert.ok(e instanceof ImportError, String(e));
        assert.ok(!e.message.includes("Th1s"), "an authkeys error never quotes the secret");
      }
    }
  });

  it("ldirectord: prefixes and dropped lines", () => {
    const text = readFileSync(fixture("ldirectord/ldirectord.cf"), "utf8");
    for (const t of damaged(text))
      survives(`ldirectord.cf ${JSON.stringify(t.slice(-30))}`, () =>
        importLdirectord({ file: "l.cf", text: t, addresses, ...common }),
      );
  });
});
