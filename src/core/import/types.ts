// What an import produces: a plain config value ready to print as vigil.yaml, comments tied to its
// keys (where vigil behaves differently from the old tool), and notes on what could not be mapped,
// each with the file and line it came from. Errors carry a stable code.
import type { KeyPath } from "../config/issues.js";

/** A place in an input file. */
export interface SourcePos {
  file: string;
  line: number;
}

/** Why a construct is listed instead of mapped: no equivalent, a keyword the importer does not know,
 * or a secret that is never copied. */
export type NoteKind = "unmapped" | "unknown" | "secret";

/** One thing of the input that is not in the output, and why. */
export interface ImportNote {
  at: SourcePos;
  kind: NoteKind;
  text: string;
}

/** A comment printed beside the key at `path` (a mapping that is only approximate, or a hint). */
export interface ImportComment {
  path: KeyPath;
  text: string;
}

/** The outcome of a successful import. */
export interface ImportResult {
  /** The vigil config as plain data (durations as strings such as "1s"). */
  config: Record<string, unknown>;
  comments: ImportComment[];
  notes: ImportNote[];
  /** Lines printed at the top of the file (what was read, what to do next). */
  header: string[];
}

/** Stable codes of import errors. */
export type ImportErrorCode =
  | "E_IMPORT_READ" // a file (or an included file) cannot be read
  | "E_IMPORT_FORMAT" // a file is not what it claims to be
  | "E_IMPORT_SYNTAX" // unbalanced braces, an unterminated quote, a line that cannot be parsed
  | "E_IMPORT_ADDRESS" // a node has no address in the files and none was given
  | "E_IMPORT_ARGS"; // the command line is wrong

/** An import that cannot go on; `at` when the problem is in a file. */
export class ImportError extends Error {
  constructor(
    readonly code: ImportErrorCode,
    message: string,
    readonly at?: SourcePos,
  ) {
    super(message);
  }
}

/** Formats a place as `file:line`. */
export function where(at: SourcePos): string {
  return `${at.file}:${at.line}`;
}

/** Formats an error as `file:line: message [CODE]` (or without the place). */
export function formatImportError(e: ImportError): string {
  return `${e.at ? `${where(e.at)}: ` : ""}${e.message} [${e.code}]`;
}
