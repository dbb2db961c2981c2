// The secret-file rules shared by the cluster key and the API token, as `vigil check`, start-up and
// reload see them: empty or whitespace-only (Unicode spaces included) refused, the key's length counted
// after trimming, the token file held to the key file's mode and symlink rules, each error located at
// its config key with what to do.
import assert from "node:assert/strict";
import { chmodSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { formatIssue, loadConfigText } from "../../src/adapters/config-file.js";
import { KEY_SECRET, readSecretFile, TOKEN_SECRET } from "../../src/adapters/secret-file.js";
import { tokenPart } from "../../src/daemon/reload.js";
import type { Config } from "../../src/core/config/schema.js";
import { tempKeyDir } from "../helpers/config.js";

const tmp = tempKeyDir();
after(() => tmp.cleanup());

function file(name: string, content: string, mode = 0o600): string {
  const path = join(tmp.dir, name);
  writeFileSync(path, content, { mode });
  chmodSync(path, mode);
  return path;
}

/** The located errors of a minimal config with this key file and token file. */
function errors(keyFile: string, tokenFile?: string): string[] {
  const text = `cluster:\n  name: c\n  key_file: ${keyFile}\nnodes:\n  - { name: a, address: 127.0.0.1 }\n${tokenFile ? `api:\n  token_file: ${tokenFile}\n` : ""}`;
  const r = loadConfigText(text, "test.yaml");
  return r.ok ? [] : r.issues.map(formatIssue);
}

describe("credentials: the API token file", () => {
  it("refuses an empty token, one of Unicode spaces, and one of \\xa0", () => {
    for (const [name, content] of [
      ["empty.token", ""],
      ["spaces.token", " \n\t \n"],
      ["nbsp.token", "\xa0\n"],
      ["unicode.token", "\u2003\u3000\ufeff\u00a0"],
    ]) {
      const errs = errors(tmp.keyFile, file(name ?? "", content ?? ""));
      assert.equal(errs.length, 1, name);
      assert.match(
        errs[0] ?? "",
        new RegExp(
          `^test\\.yaml:\\d+:\\d+: api\\.token_file: .*${name} is empty or only whitespace; make a new one with: .*\\[E_TOKEN_FILE\\]$`,
        ),
      );
    }
  });

  it("refuses a token with spaces or non-ASCII characters inside", () => {
    assert.match(errors(tmp.keyFile, file("inner.token", "abc def\n"))[0] ?? "", /printable ASCII without spaces/);
  });

  it("refuses a token file readable by others (0644), saying how to fix it", () => {
    const errs = errors(tmp.keyFile, file("loose.token", "a-good-token-0123456789\n", 0o644));
    assert.match(
      errs[0] ?? "",
      /api\.token_file: .*loose\.token has mode 0644; the API token must not be readable by group or others: chmod 600/,
    );
  });

  it("refuses a token file that is a symlink, even to a good file", () => {
    const good = file("good.token", "a-good-token-0123456789\n");
    const link = join(tmp.dir, "link.token");
    symlinkSync(good, link);
    assert.deepEqual(errors(tmp.keyFile, good), []);
    assert.match(
      errors(tmp.keyFile, link)[0] ?? "",
      /link\.token is a symbolic link; point the config at the file itself/,
    );
  });

  it("is refused on reload too, keeping the running token", async () => {
    let token: string | undefined = "old-token";
    const part = tokenPart(
      () => token,
      (t) => (token = t),
    );
    const next = { api: { token_file: file("reload.token", "\xa0\n") } } as unknown as Config;
    const issues = await part.check?.(next, next, {} as never);
    assert.equal(issues?.length, 1);
    assert.equal(issues?.[0]?.code, "E_TOKEN_FILE");
    assert.match(issues?.[0]?.message ?? "", /reload\.token is empty or only whitespace/);
    assert.equal(token, "old-token");
  });
});

describe("credentials: the cluster key file", () => {
  it("refuses a key of 33 spaces (an empty HMAC key)", () => {
    const errs = errors(file("spaces.key", " ".repeat(33)));
    assert.equal(errs.length, 1);
    assert.match(
      errs[0] ?? "",
      /cluster\.key_file: .*spaces\.key is empty or only whitespace; make a new one with: vigil keygen -o/,
    );
  });

  it("counts the key's length after trimming", () => {
    const padded = file("padded.key", `   ${"k".repeat(31)}   \n`);
    assert.match(errors(padded)[0] ?? "", /padded\.key holds 31 bytes; the cluster key needs at least 32/);
    assert.deepEqual(errors(file("ok.key", `  ${"k".repeat(32)}\n`)), []);
  });

  it("refuses a key that is a symlink", () => {
    const link = join(tmp.dir, "link.key");
    symlinkSync(tmp.keyFile, link);
    assert.match(errors(link)[0] ?? "", /link\.key is a symbolic link/);
  });

  it("holds the key and the token to one set of rules", () => {
    const loose = file("loose.secret", "k".repeat(40), 0o640);
    for (const kind of [KEY_SECRET, TOKEN_SECRET]) {
      const r = readSecretFile(loose, kind);
      assert.equal(r.ok, false);
      assert.match(r.ok ? "" : r.message, /has mode 0640/);
    }
  });
});
