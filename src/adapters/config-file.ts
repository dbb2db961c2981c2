// Reads a config file from disk: YAML with source positions, schema and cross-field validation, and the
// key file's existence, size and permissions. Every issue comes back located as file:line:column.
import { readFileSync, statSync } from "node:fs";
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, visit, type Node as YamlNode } from "yaml";
import { formatPath, type ConfigIssue, type KeyPath } from "../core/config/issues.js";
import { MAX_CONFIG_BYTES, MAX_YAML_ALIASES } from "../core/config/limits.js";
import type { Config } from "../core/config/schema.js";
import { validateConfig } from "../core/config/validate.js";
import { checkEtcdFiles } from "./etcd/check-files.js";
import { KEY_SECRET, MIN_KEY_BYTES, readSecretFile, TOKEN_SECRET } from "./secret-file.js";

export { MIN_KEY_BYTES };

/** A config issue with its place in the file. */
export interface LocatedIssue extends ConfigIssue {
  file: string;
  line: number;
  column: number;
}

/** Result of loading: the config and its source text, or every located issue. */
export type LoadResult = { ok: true; config: Config; text: string } | { ok: false; issues: LocatedIssue[] };

/** Formats one issue as `file:line:column: key.path: message [CODE]`. */
export function formatIssue(
  i: Pick<LocatedIssue, "file" | "line" | "column" | "path" | "message"> & { code: string },
): string {
  return `${i.file}:${i.line}:${i.column}: ${formatPath(i.path)}: ${i.message} [${i.code}]`;
}

/** Loads, parses and validates a config file; never throws for bad input. */
export function loadConfigFile(file: string, options: { checkKeyFile?: boolean } = {}): LoadResult {
  let text: string;
  try {
    const size = statSync(file).size;
    if (size > MAX_CONFIG_BYTES) return tooLarge(file, size);
    text = readFileSync(file, "utf8");
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === "ENOENT" ? "file not found" : (err as Error).message;
    return {
      ok: false,
      issues: [{ file, line: 1, column: 1, code: "E_YAML", path: [], message: `cannot read config: ${reason}` }],
    };
  }
  return loadConfigText(text, file, options);
}

/** Parses and validates config text; `file` is used only in messages. */
export function loadConfigText(text: string, file: string, options: { checkKeyFile?: boolean } = {}): LoadResult {
  if (text.length > MAX_CONFIG_BYTES) return tooLarge(file, text.length);
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const at = (offset: number) => {
    const p = lineCounter.linePos(offset);
    return { line: p.line, column: p.col };
  };
  if (doc.errors.length > 0) {
    return {
      ok: false,
      issues: doc.errors.map((e) => ({
        file,
        ...at(e.pos[0]),
        code: "E_YAML" as const,
        path: [],
        message: e.message.split("\n")[0] ?? e.message,
      })),
    };
  }
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: MAX_YAML_ALIASES });
  } catch (err) {
    // The yaml package refuses documents whose aliases expand too far (a "billion laughs" bomb).
    return {
      ok: false,
      issues: [{ file, ...at(firstAlias(doc)), code: "E_YAML", path: [], message: aliasMessage(err) }],
    };
  }
  const result = validateConfig(raw);
  const issues = result.ok ? [] : result.issues;
  const keyFile = rawKeyFile(raw);
  if (keyFile !== undefined && options.checkKeyFile !== false) issues.push(...checkKeyFile(keyFile));
  if (result.ok && result.config.api.token_file && options.checkKeyFile !== false)
    issues.push(...checkTokenFile(result.config.api.token_file));
  if (result.ok && result.config.cluster.etcd && options.checkKeyFile !== false)
    issues.push(...checkEtcdFiles(result.config.cluster.etcd));
  if (issues.length === 0 && result.ok) return { ok: true, config: result.config, text };
  return { ok: false, issues: placeIssues(doc.contents, lineCounter, file, issues) };
}

function tooLarge(file: string, size: number): LoadResult {
  const message = `the config is ${size} bytes; at most ${MAX_CONFIG_BYTES} are read`;
  return { ok: false, issues: [{ file, line: 1, column: 1, code: "E_YAML", path: [], message }] };
}

/** The source offset of the first alias (`*name`) in `doc`, or 0. */
function firstAlias(doc: ReturnType<typeof parseDocument>): number {
  let offset = 0;
  visit(doc, {
    Alias(_key, node) {
      offset = node.range?.[0] ?? 0;
      return visit.BREAK;
    },
  });
  return offset;
}

function aliasMessage(err: unknown): string {
  const why = (err as Error).message;
  return /alias/i.test(why)
    ? `the document's aliases expand too far (at most ${MAX_YAML_ALIASES} alias uses; an alias bomb?)`
    : `cannot read the document: ${why}`;
}

/** Places issues about a file's content at their key path (the parent when the key is absent), as
 * file:line:column, sorted by position. */
export function locateIssues<T extends { path: KeyPath; atKey?: boolean }>(
  text: string,
  file: string,
  issues: readonly T[],
): (T & { file: string; line: number; column: number })[] {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  return placeIssues(doc.contents, lineCounter, file, issues);
}

function placeIssues<T extends { path: KeyPath; atKey?: boolean }>(
  root: YamlNode | null,
  lineCounter: LineCounter,
  file: string,
  issues: readonly T[],
): (T & { file: string; line: number; column: number })[] {
  const located = issues.map((issue) => {
    const p = lineCounter.linePos(offsetOf(root, issue.path, issue.atKey === true));
    return { file, line: p.line, column: p.col, ...issue };
  });
  located.sort((a, b) => a.line - b.line || a.column - b.column);
  return located;
}

function rawKeyFile(raw: unknown): string | undefined {
  const cluster = (raw as { cluster?: { key_file?: unknown } } | null)?.cluster;
  const keyFile = cluster?.key_file;
  return typeof keyFile === "string" && keyFile.startsWith("/") ? keyFile : undefined;
}

/** Finds the source offset of the deepest node on `path` that exists (the parent when a key is missing). */
function offsetOf(root: YamlNode | null, path: KeyPath, atKey: boolean): number {
  let node: unknown = root;
  let offset = root?.range?.[0] ?? 0;
  for (const part of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === part);
      if (!pair) break;
      const keyNode = pair.key as YamlNode;
      offset =
        atKey && part === path[path.length - 1]
          ? (keyNode.range?.[0] ?? offset)
          : ((pair.value as YamlNode | null)?.range?.[0] ?? keyNode.range?.[0] ?? offset);
      node = pair.value;
    } else if (isSeq(node) && typeof part === "number") {
      const item = node.items[part] as YamlNode | undefined;
      if (!item) break;
      offset = item.range?.[0] ?? offset;
      node = item;
    } else break;
  }
  return offset;
}

/** The key file must be a regular file (no symlink) of this user or root, readable by its owner only,
 * holding at least 32 bytes once trimmed (see secret-file.ts). */
export function checkKeyFile(keyFile: string): ConfigIssue[] {
  const r = readSecretFile(keyFile, KEY_SECRET);
  return r.ok ? [] : [{ code: "E_KEY_FILE", path: ["cluster", "key_file"], message: r.message }];
}

/** The API token file is held to the key file's rules, and must hold a non-empty printable token. */
export function checkTokenFile(tokenFile: string): ConfigIssue[] {
  const r = readSecretFile(tokenFile, TOKEN_SECRET);
  return r.ok ? [] : [{ code: "E_TOKEN_FILE", path: ["api", "token_file"], message: r.message }];
}
