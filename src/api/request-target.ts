// Parses a request's target (the path and query of the request line) without ever throwing: no `new
// URL` (which rejects `//`) and no bare `decodeURIComponent` (which rejects `%E0`). A target the API
// cannot read is a 400 for that one request, never an exception.

/** A request target: the raw path for fixed routes, its decoded segments, and the query. */
export interface RequestTarget {
  /** The path as sent, before `?` (fixed routes compare against it). */
  path: string;
  /** The path's segments, percent-decoded (`/groups/a%20b/cleanup` gives ["groups", "a b", "cleanup"]). */
  segments: string[];
  query: URLSearchParams;
}

/** Longest request target accepted, characters. */
export const MAX_TARGET_LENGTH = 2048;

/** Why a target is refused: the HTTP status and a message for the client. */
export interface TargetError {
  status: 400 | 414;
  error: string;
}

/** Decodes one path segment; undefined for bad percent-encoding or a control character. */
function decodeSegment(s: string): string | undefined {
  let out: string;
  try {
    out = decodeURIComponent(s);
  } catch {
    return undefined;
  }
  for (let i = 0; i < out.length; i++) {
    const c = out.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return undefined;
  }
  return out;
}

/** Splits and decodes a request target, or says why it is refused. Only origin-form targets (`/path?q`)
 * are accepted; `*`, absolute URLs and `//` paths are refused with 400. */
export function parseTarget(raw: string | undefined): RequestTarget | TargetError {
  const target = raw ?? "";
  if (target.length > MAX_TARGET_LENGTH)
    return { status: 414, error: `request target longer than ${MAX_TARGET_LENGTH} characters` };
  if (!target.startsWith("/") || target.startsWith("//"))
    return { status: 400, error: "malformed request target: expected a path such as /status" };
  const q = target.indexOf("?");
  const path = q < 0 ? target : target.slice(0, q);
  const segments: string[] = [];
  for (const part of path.slice(1).split("/")) {
    const decoded = decodeSegment(part);
    if (decoded === undefined)
      return { status: 400, error: "malformed path: bad percent-encoding or a control character" };
    segments.push(decoded);
  }
  let query: URLSearchParams;
  try {
    query = new URLSearchParams(q < 0 ? "" : target.slice(q + 1));
  } catch {
    return { status: 400, error: "malformed query string" };
  }
  return { path, segments, query };
}

/** Whether `parseTarget` refused the target. */
export function isTargetError(t: RequestTarget | TargetError): t is TargetError {
  return "error" in t;
}
