// A vigil config being assembled by an importer: plain data plus comments on keys and notes on what
// was left out, with the small conversions every importer needs.
import type { KeyPath } from "../config/issues.js";
import { MAX_NAME_LENGTH } from "../config/limits.js";
import { formatDuration } from "../config/duration.js";
import type { ImportComment, ImportNote, ImportResult, NoteKind, SourcePos } from "./types.js";
import { where } from "./types.js";

/** Collects comments and notes while an importer builds its output. */
export class Draft {
  readonly comments: ImportComment[] = [];
  readonly notes: ImportNote[] = [];

  /** A comment beside the key at `path`; "≈" marks a mapping that is only approximate. */
  approx(path: KeyPath, text: string, at?: SourcePos): void {
    this.comments.push({ path, text: `≈ ${text}${at ? ` (${where(at)})` : ""}` });
  }

  /** A plain comment beside the key at `path` (a hint, not a difference). */
  hint(path: KeyPath, text: string): void {
    this.comments.push({ path, text });
  }

  /** Something of the input that is not in the output. */
  note(at: SourcePos, kind: NoteKind, text: string): void {
    this.notes.push({ at, kind, text });
  }

  /** A keyword the importer does not know, reported with its place. */
  unknown(at: SourcePos, keyword: string, context: string): void {
    this.note(at, "unknown", `unknown keyword "${keyword}" in ${context}; not imported`);
  }
}

/** A name vigil accepts (letters, digits, '_', '.', '-', a letter or digit first, at most 63),
 * made from `text`, distinct from the names in `taken` (which it joins). */
export function safeName(text: string, taken: Set<string>, fallback: string): string {
  let base = text.replace(/[^A-Za-z0-9_.-]+/g, "-").replace(/^[^A-Za-z0-9]+/, "");
  if (base === "") base = fallback;
  base = base.slice(0, MAX_NAME_LENGTH);
  let name = base;
  for (let i = 2; taken.has(name); i++) name = `${base.slice(0, MAX_NAME_LENGTH - String(i).length - 1)}-${i}`;
  taken.add(name);
  return name;
}

/** Seconds as the tools write them ("1", "0.5") to a vigil duration; undefined when not a number. */
export function secondsToDuration(text: string | undefined): string | undefined {
  const ms = secondsToMs(text);
  return ms === undefined ? undefined : formatDuration(ms);
}

/** Seconds ("1", "0.5") to whole milliseconds; undefined when not a non-negative number. */
export function secondsToMs(text: string | undefined): number | undefined {
  if (text === undefined || !/^\d+(\.\d+)?$/.test(text)) return undefined;
  return Math.round(Number(text) * 1000);
}

/** A whole number from text, or undefined. */
export function wholeNumber(text: string | undefined): number | undefined {
  return text !== undefined && /^-?\d+$/.test(text) ? Number(text) : undefined;
}

/** Splits a command line the way the old tools did (words, with '…' and "…" quoting and \ escapes),
 * without a shell. */
export function splitCommand(text: string): string[] {
  const words: string[] = [];
  let cur = "";
  let inWord = false;
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (quote) {
      if (ch === quote) quote = undefined;
      else if (ch === "\\" && quote === '"' && i + 1 < text.length) cur += text[++i];
      else cur += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      inWord = true;
    } else if (ch === "\\" && i + 1 < text.length) {
      cur += text[++i];
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(cur);
      cur = "";
      inWord = false;
    } else {
      cur += ch;
      inWord = true;
    }
  }
  if (inWord) words.push(cur);
  return words;
}

/** The finished result: notes that say the same thing in several files are listed once, with every
 * place they were seen. */
export function finish(d: Draft, config: Record<string, unknown>, header: string[]): ImportResult {
  const byText = new Map<string, ImportNote & { also: SourcePos[] }>();
  for (const n of d.notes) {
    const key = `${n.kind} ${n.text}`;
    const first = byText.get(key);
    if (first) first.also.push(n.at);
    else byText.set(key, { ...n, also: [] });
  }
  const notes = [...byText.values()].map(({ also, ...n }) =>
    also.length === 0 ? n : { ...n, text: `${n.text} (also ${also.map(where).join(", ")})` },
  );
  return { config, comments: d.comments, notes, header };
}
