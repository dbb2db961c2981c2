// How the CLI reaches the local daemon: the API address and token from the config (or flags), and
// errors that say what to do when the daemon is unreachable or the token is wrong.
import { readFileSync } from "node:fs";
import { loadConfigFile } from "../adapters/config-file.js";

/** Where to find the API. */
export interface ApiTarget {
  base: string;
  token: string | undefined;
}

/** Thrown with a message for the user; the CLI prints it and exits 1. */
export class CliError extends Error {}

/** Resolves the API address and token from `-c FILE` and/or `--api` / `--token-file`. */
export function apiTarget(opts: { config?: string; api?: string; tokenFile?: string }): ApiTarget {
  let listen = opts.api;
  let tokenFile = opts.tokenFile;
  if (opts.config) {
    const r = loadConfigFile(opts.config, { checkKeyFile: false });
    if (!r.ok) throw new CliError(`${opts.config} is not a valid config; run: vigil check -c ${opts.config}`);
    listen ??= r.config.api.listen;
    tokenFile ??= r.config.api.token_file;
  }
  listen ??= "127.0.0.1:7480";
  let token: string | undefined;
  if (tokenFile) {
    try {
      token = readFileSync(tokenFile, "utf8").trim();
    } catch (err) {
      throw new CliError(
        `cannot read the API token from ${tokenFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      );
    }
  }
  return { base: `http://${listen}`, token };
}

/** Calls the API; throws CliError with a clear reason on any failure. */
export async function callApi(t: ApiTarget, method: "GET" | "POST", path: string): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(`${t.base}${path}`, {
      method,
      headers: t.token ? { authorization: `Bearer ${t.token}` } : {},
      signal: AbortSignal.timeout(10_000),
    });
  } catch {
    throw new CliError(
      `cannot reach the vigil API at ${t.base}: is \`vigil run\` running on this node? (address from api.listen or --api)`,
    );
  }
  const body = (await res.json().catch(() => ({}))) as { error?: string; message?: string };
  if (res.status === 401)
    throw new CliError(`the API refused the token (401): give the right api.token_file (-c FILE or --token-file FILE)`);
  if (res.status === 403) throw new CliError(body.error ?? "commands are disabled on this node");
  if (!res.ok) throw new CliError(body.message ?? body.error ?? `the API answered ${res.status}`);
  return body;
}
