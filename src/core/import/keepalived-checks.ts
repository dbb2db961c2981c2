// keepalived's real server checkers (TCP_CHECK, HTTP_GET, SSL_GET, MISC_CHECK) as a vigil virtual
// server `check:`. keepalived checks each real server with its own checker; vigil has one check per
// virtual server, so each real server's checker is mapped and the first one is used.
import { formatDuration } from "../config/duration.js";
import { secondsToMs, splitCommand, wholeNumber } from "./draft.js";
import type { KaStmt } from "./keepalived-syntax.js";
import type { SourcePos } from "./types.js";

/** Settings a virtual server passes down to its real servers' checkers (keepalived 2.x). */
export interface CheckDefaults {
  delayLoopMs: number;
  connectTimeoutMs?: number;
  retry?: number;
  delayBeforeRetry?: string;
  host?: string;
}

/** A mapped check: the config, comments on its keys, and what it could not carry. */
export interface MappedCheck {
  check: Record<string, unknown>;
  comments: { key?: string; text: string; at?: SourcePos }[];
  notes: { at: SourcePos; text: string }[];
}

const CHECKERS = new Set(["TCP_CHECK", "HTTP_GET", "SSL_GET", "MISC_CHECK"]);
const OTHER_CHECKERS = new Set(["SMTP_CHECK", "DNS_CHECK", "UDP_CHECK", "PING_CHECK", "FILE_CHECK", "BFD_CHECK"]);

/** Whether a real_server keyword is a checker block. */
export function isChecker(keyword: string): boolean {
  return CHECKERS.has(keyword) || OTHER_CHECKERS.has(keyword);
}

/** Maps one real server's checker; `realPort` is the server's own port. */
export function mapChecker(
  stmt: KaStmt | undefined,
  realPort: string,
  defaults: CheckDefaults,
  at: SourcePos,
): MappedCheck {
  const m: MappedCheck = { check: {}, comments: [], notes: [] };
  if (!stmt) {
    m.check = { type: "tcp", ...timing(m, defaults, undefined, undefined, at) };
    m.comments.push({
      text: "keepalived did not check a real server without a checker; vigil checks that it accepts a TCP connection",
      at,
    });
    return m;
  }
  if (OTHER_CHECKERS.has(stmt.keyword)) {
    m.notes.push({ at: stmt.at, text: `${stmt.keyword}: no such check in vigil; a TCP connect check is used instead` });
    m.check = { type: "tcp", ...timing(m, defaults, undefined, undefined, stmt.at) };
    return m;
  }
  const kv = new Map<string, KaStmt>();
  const urls: KaStmt[] = [];
  for (const s of stmt.block ?? []) {
    if (s.keyword === "url") urls.push(s);
    else kv.set(s.keyword === "nb_get_retry" ? "retry" : s.keyword, s);
  }
  const arg = (k: string) => kv.get(k)?.args[0];
  const out: Record<string, unknown> = {};
  if (stmt.keyword === "MISC_CHECK") {
    const words = splitCommand((kv.get("misc_path")?.args ?? []).join(" "));
    out.type = "exec";
    if (words[0]?.startsWith("/")) {
      out.script = words[0];
      if (words.length > 1) out.args = words.slice(1);
      m.comments.push({
        text: "vigil calls the script as SCRIPT ARGS... IP PORT (keepalived ran misc_path as written)",
        at: stmt.at,
      });
    } else {
      m.notes.push({
        at: stmt.at,
        text: `MISC_CHECK misc_path "${words[0] ?? ""}": vigil needs an absolute script path; a TCP connect check is used instead`,
      });
      out.type = "tcp";
    }
    if (kv.has("misc_dynamic"))
      m.notes.push({
        at: kv.get("misc_dynamic")?.at as SourcePos,
        text: "misc_dynamic: vigil does not set weights from a check's exit code",
      });
    if (kv.has("user"))
      m.notes.push({
        at: kv.get("user")?.at as SourcePos,
        text: "MISC_CHECK user: vigil runs checks as its own user (root)",
      });
    Object.assign(out, timing(m, defaults, secondsToMs(arg("misc_timeout")), undefined, stmt.at));
  } else {
    out.type = stmt.keyword === "TCP_CHECK" ? "tcp" : stmt.keyword === "SSL_GET" ? "https" : "http";
    const port = arg("connect_port");
    if (port !== undefined && port !== realPort) out.port = wholeNumber(port);
    if (out.type !== "tcp") mapHttp(m, out, urls, kv, defaults);
    if (out.type === "https") {
      out.tls_verify = false;
      m.comments.push({
        key: "tls_verify",
        text: "keepalived's SSL_GET did not verify the certificate; set true once it does",
        at: stmt.at,
      });
    }
    const retry = wholeNumber(arg("retry")) ?? defaults.retry;
    Object.assign(
      out,
      timing(
        m,
        defaults,
        secondsToMs(arg("connect_timeout")),
        retry,
        stmt.at,
        arg("delay_before_retry") ?? defaults.delayBeforeRetry,
      ),
    );
  }
  for (const [k, s] of kv) {
    if (
      [
        "misc_path",
        "misc_timeout",
        "misc_dynamic",
        "user",
        "connect_port",
        "connect_timeout",
        "retry",
        "delay_before_retry",
        "virtualhost",
        "delay_loop",
      ].includes(k)
    )
      continue;
    if (
      [
        "connect_ip",
        "bindto",
        "bind_port",
        "bind_if",
        "fwmark",
        "warmup",
        "http_protocol",
        "enable_sni",
        "tls_compliant",
        "fast_recovery",
      ].includes(k)
    )
      m.notes.push({
        at: s.at,
        text: `${stmt.keyword} ${k}: no such setting in vigil (its checks connect to the real server's address from the node)`,
      });
    else m.notes.push({ at: s.at, text: `unknown keyword "${k}" in ${stmt.keyword}; not imported` });
  }
  m.check = out;
  return m;
}

function timing(
  m: MappedCheck,
  defaults: CheckDefaults,
  timeoutMs: number | undefined,
  retry: number | undefined,
  at: SourcePos,
  delayBeforeRetry?: string,
): Record<string, unknown> {
  const interval = defaults.delayLoopMs;
  let timeout = timeoutMs ?? defaults.connectTimeoutMs ?? 5000;
  if (timeout > interval) {
    m.comments.push({
      key: "timeout",
      text: `keepalived's connect timeout ${formatDuration(timeout)} was longer than delay_loop; vigil needs timeout <= interval`,
      at,
    });
    timeout = interval;
  }
  const fall = Math.max(1, retry ?? 1);
  if (delayBeforeRetry !== undefined)
    m.comments.push({
      key: "fall",
      text: `keepalived retried ${fall} time(s) ${delayBeforeRetry}s apart before marking a server down; vigil marks it down after ${fall} failed check(s), one interval apart`,
      at,
    });
  return { interval: formatDuration(interval), timeout: formatDuration(timeout), rise: 1, fall };
}

function mapHttp(
  m: MappedCheck,
  out: Record<string, unknown>,
  urls: readonly KaStmt[],
  kv: ReadonlyMap<string, KaStmt>,
  defaults: CheckDefaults,
): void {
  const url = urls[0];
  for (const extra of urls.slice(1))
    m.notes.push({
      at: extra.at,
      text: "a further url block: vigil checks one path per virtual server (the first url is used)",
    });
  let host = kv.get("virtualhost")?.args[0] ?? defaults.host;
  for (const s of url?.block ?? []) {
    const a = s.args[0];
    if (s.keyword === "path" && a !== undefined) out.path = a.startsWith("/") ? a : `/${a}`;
    else if (s.keyword === "status_code") {
      const codes = statusCodes(s.args);
      if (codes) out.expect_status = codes.length === 1 ? codes[0] : codes;
      else m.notes.push({ at: s.at, text: `status_code ${s.args.join(" ")}: not a status code or range of them` });
    } else if (s.keyword === "virtualhost") host = a;
    else if (s.keyword === "digest")
      m.notes.push({
        at: s.at,
        text: "digest: vigil does not compare an MD5 of the page; set expect_body to text the healthy page contains",
      });
    else if (s.keyword === "regex" && a !== undefined && !/[\\^$.*+?()[\]{}|]/.test(a)) out.expect_body = a;
    else if (
      s.keyword === "regex" ||
      s.keyword === "regex_no_match" ||
      s.keyword === "regex_options" ||
      s.keyword === "regex_max_offset"
    )
      m.notes.push({
        at: s.at,
        text: `${s.keyword}: vigil matches plain text (expect_body), not a regular expression`,
      });
    else m.notes.push({ at: s.at, text: `unknown keyword "${s.keyword}" in url; not imported` });
  }
  if (host !== undefined) out.host = host;
}

/** `200`, `200-299`, `200 301 302` (keepalived 2.x) to a list of codes; undefined when malformed. */
export function statusCodes(args: readonly string[]): number[] | undefined {
  const codes: number[] = [];
  for (const a of args.flatMap((x) => x.split(","))) {
    const m = /^(\d{3})(?:-(\d{3}))?$/.exec(a);
    if (!m) return undefined;
    const lo = Number(m[1]);
    const hi = Number(m[2] ?? m[1]);
    if (lo < 100 || hi > 599 || hi < lo) return undefined;
    for (let c = lo; c <= hi; c++) codes.push(c);
  }
  return codes.length > 0 ? codes : undefined;
}
