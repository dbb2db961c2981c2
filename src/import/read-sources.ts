// The thin I/O side of `vigil import`: reads input files (with a size limit and errors a user can act
// on) and expands keepalived `include` lines, globs included, into one token stream.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { MAX_CONFIG_BYTES } from "../core/config/limits.js";
import { type KaToken, tokenizeKeepalived } from "../core/import/keepalived-syntax.js";
import { ImportError, type ImportNote, type SourcePos } from "../core/import/types.js";

/** How deep includes may nest (keepalived itself stops at a similar depth). */
const MAX_INCLUDE_DEPTH = 8;

/** Reads a text input file; `what` names what it should be, `at` where it was named (an include). */
export function readInput(file: string, what: string, at?: SourcePos): string {
  let size: number;
  try {
    const st = statSync(file);
    if (st.isDirectory()) throw new ImportError("E_IMPORT_FORMAT", `${file} is a directory, not ${what}`, at);
    size = st.size;
  } catch (err) {
    if (err instanceof ImportError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file" : code === "EACCES" ? "permission denied" : (err as Error).message;
    throw new ImportError("E_IMPORT_READ", `cannot read ${what} ${file}: ${why}`, at);
  }
  if (size > MAX_CONFIG_BYTES)
    throw new ImportError(
      "E_IMPORT_FORMAT",
      `${file} is ${size} bytes; ${what} of more than ${MAX_CONFIG_BYTES} bytes is not read`,
      at,
    );
  try {
    return readFileSync(file, "utf8");
  } catch (err) {
    throw new ImportError("E_IMPORT_READ", `cannot read ${what} ${file}: ${(err as Error).message}`, at);
  }
}

/** A keepalived.conf with its includes expanded, and notes on includes that matched nothing. */
export function readKeepalived(file: string): { tokens: KaToken[]; notes: ImportNote[] } {
  const notes: ImportNote[] = [];
  const tokens = expand(file, undefined, [], notes);
  return { tokens, notes };
}

function expand(file: string, at: SourcePos | undefined, stack: string[], notes: ImportNote[]): KaToken[] {
  const full = resolve(file);
  if (stack.includes(full))
    throw new ImportError("E_IMPORT_SYNTAX", `include loop: ${[...stack, full].join(" → ")}`, at);
  if (stack.length >= MAX_INCLUDE_DEPTH)
    throw new ImportError("E_IMPORT_SYNTAX", `includes nest deeper than ${MAX_INCLUDE_DEPTH} files`, at);
  const text = readInput(file, at ? "the included file" : "keepalived.conf", at);
  const out: KaToken[] = [];
  for (const t of tokenizeKeepalived(text, file)) {
    if (t.kind !== "include") {
      out.push(t);
      continue;
    }
    const pattern = isAbsolute(t.pattern) ? t.pattern : join(dirname(file), t.pattern);
    const files = hasWildcard(pattern) ? glob(pattern) : [pattern];
    if (files.length === 0) notes.push({ at: t.at, kind: "unmapped", text: `include ${t.pattern} matched no file` });
    for (const f of files) out.push(...expand(f, t.at, [...stack, full], notes));
  }
  return out;
}

function hasWildcard(s: string): boolean {
  return /[*?[]/.test(s);
}

/** The files matching a glob(3) pattern (wildcards in any segment), sorted as glob sorts them. */
function glob(pattern: string): string[] {
  const segments = pattern.split("/");
  let paths = [segments[0] === "" ? "/" : "."];
  for (const seg of segments.slice(segments[0] === "" ? 1 : 0)) {
    if (seg === "") continue;
    if (!hasWildcard(seg)) {
      paths = paths.map((p) => join(p, seg));
      continue;
    }
    const re = new RegExp(
      `^${seg
        .replace(/[.+^${}()|\\]/g, "\\$&")
        .replace(/\*/g, "[^/]*")
        .replace(/\?/g, "[^/]")}$`,
    );
    paths = paths.flatMap((p) => {
      try {
        return readdirSync(p)
          .filter((name) => !name.startsWith(".") && re.test(name))
          .sort()
          .map((name) => join(p, name));
      } catch {
        return [];
      }
    });
  }
  return paths.filter((p) => {
    try {
      return statSync(p).isFile();
    } catch {
      return false;
    }
  });
}
