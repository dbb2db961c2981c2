// SIGHUP: re-read the config file and apply it as a diff. An invalid file is refused with the same
// located errors as `vigil check`; a change only a restart can apply (cluster, nodes, api.listen)
// refuses the whole reload (the key file's content is reloadable: see reload-key.ts); otherwise every reloadable part applies its own difference, and one
// line says what the reload did. Nothing is half-applied: all parts are checked before any applies.
import { formatIssue, loadConfigFile, locateIssues } from "../adapters/config-file.js";
import type { Logger } from "../adapters/logger.js";
import { readSecretFile, TOKEN_SECRET } from "../adapters/secret-file.js";
import { formatPath, type KeyPath } from "../core/config/issues.js";
import { planReload, type ReloadPlan } from "../core/config/reload-plan.js";
import type { Config } from "../core/config/schema.js";

/** Why a part cannot take the new config; `path` locates it in the new file. */
export interface ReloadIssue {
  /** Stable code, e.g. E_RELOAD_NEEDS_RESTART. */
  code: string;
  path: KeyPath;
  message: string;
}

/** A part of the running daemon that takes a new config live (groups, the API token, and later the
 * virtual servers). Every part's `check` runs first; any issue refuses the whole reload. Then each part
 * `apply`s its difference and returns phrases for the summary line (empty: nothing changed for it). */
export interface ReloadablePart {
  readonly name: string;
  check?(current: Config, next: Config, plan: ReloadPlan): ReloadIssue[] | Promise<ReloadIssue[]>;
  apply(current: Config, next: Config, plan: ReloadPlan): string[] | Promise<string[]>;
}

/** What one reload did. */
export type ReloadOutcome = { ok: true; summary: string } | { ok: false; errors: string[] };

/** Reads the API token (trimmed); throws with what is wrong and what to do when the file breaks the
 * secret-file rules or holds no token. */
export function readToken(file: string): string {
  const r = readSecretFile(file, TOKEN_SECRET);
  if (!r.ok) throw new Error(r.message);
  return r.secret;
}

/** Applies reloads of one config file to the parts of a running daemon, one reload at a time. */
export class Reloader {
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    private configFile: string,
    private current: Config,
    private parts: readonly ReloadablePart[],
    private log: Logger,
  ) {}

  /** The config the daemon runs with. */
  get config(): Config {
    return this.current;
  }

  /** Re-reads the file and applies it; never rejects. Reloads asked for meanwhile run afterwards. */
  reload(): Promise<ReloadOutcome> {
    const next = this.chain.then(() => this.once());
    this.chain = next.catch(() => undefined);
    return next.catch((err: Error) => {
      this.log.error({ reload: true }, `reload failed: ${err.message}; the previous config may be partly applied`);
      return { ok: false as const, errors: [err.message] };
    });
  }

  private refuse(lines: string[], why: string): ReloadOutcome {
    for (const line of lines) this.log.error({ reload: true }, line);
    this.log.error({ reload: true }, `reload rejected: ${why}; still running the previous config`);
    return { ok: false, errors: lines };
  }

  private async once(): Promise<ReloadOutcome> {
    this.log.info({ reload: true, config: this.configFile }, `reloading ${this.configFile}`);
    const loaded = loadConfigFile(this.configFile);
    if (!loaded.ok)
      return this.refuse(
        loaded.issues.map(formatIssue),
        `${loaded.issues.length} error${loaded.issues.length === 1 ? "" : "s"}`,
      );
    const next = loaded.config;
    const plan = planReload(this.current, next);
    const issues: ReloadIssue[] = [...plan.restartNeeded];
    try {
      if (issues.length === 0)
        for (const part of this.parts) issues.push(...((await part.check?.(this.current, next, plan)) ?? []));
    } catch (err) {
      return this.refuse(
        [`${this.configFile}: could not check the new config: ${(err as Error).message}`],
        "a check failed",
      );
    }
    if (issues.length > 0) {
      const located = locateIssues(loaded.text, this.configFile, issues);
      const restart = issues.filter((i) => i.code === "E_RELOAD_NEEDS_RESTART").length;
      const why =
        restart === issues.length
          ? `${restart} change${restart === 1 ? "" : "s"} need${restart === 1 ? "s" : ""} a restart (${issues.map((i) => formatPath(i.path)).join(", ")})`
          : `${issues.length} change${issues.length === 1 ? "" : "s"} cannot be applied now`;
      return this.refuse(located.map(formatIssue), why);
    }
    const done: string[] = [];
    const previous = this.current;
    for (const part of this.parts) done.push(...(await part.apply(previous, next, plan)));
    this.current = next;
    const summary = `reload applied: ${done.join("; ") || "nothing changed"}`;
    this.log.info({ reload: true }, summary);
    return { ok: true, summary };
  }
}

/** The API token: re-read from api.token_file on every reload, so a new token (or file) takes effect. */
export function tokenPart(get: () => string | undefined, set: (token: string | undefined) => void): ReloadablePart {
  let read: string | undefined;
  return {
    name: "api token",
    check(_current, next) {
      read = undefined;
      if (!next.api.token_file) return [];
      try {
        read = readToken(next.api.token_file);
        return [];
      } catch (err) {
        return [
          {
            code: "E_TOKEN_FILE",
            path: ["api", "token_file"],
            message: (err as Error).message,
          },
        ];
      }
    },
    apply() {
      const before = get();
      set(read);
      if (before === read) return [];
      return [
        read === undefined ? "token removed (commands disabled)" : before === undefined ? "token set" : "token changed",
      ];
    },
  };
}
