// Runs an import's output through the same code as `vigil check` (with a real key file) and parses it
// back, so tests assert on what a user would deploy.
import assert from "node:assert/strict";
import { parse } from "yaml";
import { formatIssue, loadConfigText } from "../../src/adapters/config-file.js";
import type { Config } from "../../src/core/config/schema.js";
import type { ImportResult } from "../../src/core/import/types.js";
import { renderImport } from "../../src/import/render-yaml.js";

/** Fixture path under test/fixtures/import. */
export const fixture = (rel: string): string => new URL(`../fixtures/import/${rel}`, import.meta.url).pathname;

/** The printed YAML, the raw document (as written, durations as text), and the checked config. */
export interface Checked {
  text: string;
  raw: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  config: Config;
  notes: string[];
}

/** Renders `result`, asserts `vigil check` accepts it, and returns it in every form. */
export function checked(result: ImportResult): Checked {
  const text = renderImport(result);
  const loaded = loadConfigText(text, "imported.yaml");
  assert.ok(
    loaded.ok,
    `vigil check refused the import:\n${loaded.ok ? "" : loaded.issues.map(formatIssue).join("\n")}\n${text}`,
  );
  return {
    text,
    raw: parse(text) as Record<string, any>, // eslint-disable-line @typescript-eslint/no-explicit-any
    config: loaded.config,
    notes: result.notes.map((n) => `${n.at.file.replace(/^.*fixtures\/import\//, "")}:${n.at.line}: ${n.text}`),
  };
}

/** The comment lines of `text` that mention `what`. */
export function commentsAbout(text: string, what: string): string[] {
  return text.split("\n").filter((l) => l.includes("#") && l.includes(what));
}
