// keepalived.conf syntax: words, quoted strings, braces (also on one line, also glued to a word), and
// `!` / `#` comments, then statements nested in blocks. `include` lines are left as tokens for the
// adapter, which reads the files they name and splices their tokens in.
import { ImportError, type SourcePos } from "./types.js";

/** One lexical token of keepalived.conf. */
export type KaToken =
  | { kind: "word"; text: string; quoted: boolean; at: SourcePos }
  | { kind: "open" | "close"; at: SourcePos }
  | { kind: "include"; pattern: string; at: SourcePos };

/** A statement: a keyword with its arguments on one line, and the block that follows it, if any. */
export interface KaStmt {
  keyword: string;
  args: string[];
  at: SourcePos;
  block?: KaStmt[];
}

/** Splits keepalived.conf text into tokens; `file` names it in positions. */
export function tokenizeKeepalived(text: string, file: string): KaToken[] {
  if (text.includes("\0")) throw new ImportError("E_IMPORT_FORMAT", `${file} is a binary file, not a keepalived.conf`);
  const tokens: KaToken[] = [];
  text.split(/\r?\n/).forEach((line, index) => {
    const at = { file, line: index + 1 };
    const lineTokens: KaToken[] = [];
    let i = 0;
    while (i < line.length) {
      const ch = line[i] as string;
      if (/\s/.test(ch)) i++;
      else if (ch === "!" || ch === "#") break;
      else if (ch === "{" || ch === "}") {
        lineTokens.push({ kind: ch === "{" ? "open" : "close", at });
        i++;
      } else if (ch === '"') {
        const end = line.indexOf('"', i + 1);
        if (end < 0) throw new ImportError("E_IMPORT_SYNTAX", "a quoted string is not closed on its line", at);
        lineTokens.push({ kind: "word", text: line.slice(i + 1, end), quoted: true, at });
        i = end + 1;
      } else {
        let j = i;
        while (j < line.length && !/[\s{}]/.test(line[j] as string)) j++;
        lineTokens.push({ kind: "word", text: line.slice(i, j), quoted: false, at });
        i = j;
      }
    }
    const first = lineTokens[0];
    if (first?.kind === "word" && !first.quoted && first.text === "include") {
      const pattern = lineTokens[1];
      if (pattern?.kind !== "word")
        throw new ImportError("E_IMPORT_SYNTAX", "include needs a file name or pattern", at);
      tokens.push({ kind: "include", pattern: pattern.text, at });
    } else tokens.push(...lineTokens);
  });
  return tokens;
}

/** Builds the statement tree from tokens whose includes were already expanded. */
export function parseKeepalived(tokens: readonly KaToken[]): KaStmt[] {
  let i = 0;
  const block = (opener: SourcePos | undefined): KaStmt[] => {
    const out: KaStmt[] = [];
    while (i < tokens.length) {
      const t = tokens[i] as KaToken;
      if (t.kind === "close") {
        i++;
        if (!opener) throw new ImportError("E_IMPORT_SYNTAX", "'}' closes no block", t.at);
        return out;
      }
      if (t.kind === "open") throw new ImportError("E_IMPORT_SYNTAX", "'{' without a keyword before it", t.at);
      if (t.kind === "include")
        throw new ImportError("E_IMPORT_SYNTAX", "include was not expanded (internal error)", t.at);
      const words: string[] = [];
      while (i < tokens.length) {
        const w = tokens[i] as KaToken;
        if (w.kind !== "word" || w.at.line !== t.at.line || w.at.file !== t.at.file) break;
        words.push(w.text);
        i++;
      }
      const stmt: KaStmt = { keyword: words[0] as string, args: words.slice(1), at: t.at };
      if (tokens[i]?.kind === "open") {
        i++;
        stmt.block = block(t.at);
      }
      out.push(stmt);
    }
    if (opener)
      throw new ImportError(
        "E_IMPORT_SYNTAX",
        `the block opened here is never closed (a '}' is missing before the end of ${opener.file})`,
        opener,
      );
    return out;
  };
  return block(undefined);
}

/** The top-level keywords of keepalived.conf: a file none of whose statements is one of these is not
 * a keepalived.conf. */
export const KEEPALIVED_TOP_LEVEL = new Set([
  "global_defs",
  "vrrp_instance",
  "vrrp_script",
  "vrrp_sync_group",
  "virtual_server",
  "virtual_server_group",
  "static_ipaddress",
  "static_routes",
  "static_rules",
  "vrrp_track_process",
  "track_file",
  "vrrp_track_file",
  "linkbeat_interfaces",
  "bfd_instance",
  "garp_group",
  "net_namespace",
]);

/** Refuses a file that is not keepalived.conf: its first statement must be a keepalived keyword. */
export function assertKeepalived(stmts: readonly KaStmt[], file: string): void {
  const first = stmts[0];
  if (!first)
    throw new ImportError("E_IMPORT_FORMAT", `${file} holds no keepalived statements (empty, or only comments)`, {
      file,
      line: 1,
    });
  if (!KEEPALIVED_TOP_LEVEL.has(first.keyword) && !first.keyword.startsWith("@") && !first.keyword.startsWith("$"))
    throw new ImportError(
      "E_IMPORT_FORMAT",
      `this is not a keepalived.conf: "${first.keyword.slice(0, 40)}" is not a keepalived keyword (expected global_defs, vrrp_instance, vrrp_script, virtual_server, ...)`,
      first.at,
    );
}
