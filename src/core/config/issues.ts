// A config problem tied to the key it concerns; the loader adds file:line:column.

/** Path of keys and list indexes from the document root, e.g. ["nodes", 1, "name"]. */
export type KeyPath = readonly (string | number)[];

/** One thing wrong with a configuration. `code` is stable for scripts; `message` says what was expected. */
export interface ConfigIssue {
  code: ConfigIssueCode;
  path: KeyPath;
  message: string;
  /** When set, the issue points at this key's name rather than its value (unknown keys). */
  atKey?: boolean;
}

/** Stable error codes, printed in brackets after the message. */
export type ConfigIssueCode =
  | "E_YAML"
  | "E_TYPE"
  | "E_UNKNOWN_KEY"
  | "E_MISSING"
  | "E_VALUE"
  | "E_DUPLICATE"
  | "E_REFERENCE"
  | "E_TIMING"
  | "E_QUORUM"
  | "E_CHECK"
  | "E_WEIGHT"
  | "E_KEY_FILE"
  | "E_TOKEN_FILE"
  | "E_ETCD_FILE"
  | "E_WIRE_ID"
  | "E_WIRE_SIZE"
  | "E_MARIADB";

/** Renders a key path the way a user would write it: `nodes[1].name`. */
export function formatPath(path: KeyPath): string {
  let out = "";
  for (const part of path) out += typeof part === "number" ? `[${part}]` : out === "" ? part : `.${part}`;
  return out === "" ? "(document)" : out;
}
