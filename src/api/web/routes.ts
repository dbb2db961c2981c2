// Serves the live web page from the daemon: GET / and its script and stylesheet, with a strict
// Content-Security-Policy (only this origin's script, style and API; no inline code, no frames).
import type { ServerResponse } from "node:http";
import { WEB_ASSETS } from "./assets.js";

/** The page's Content-Security-Policy. */
export const WEB_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

/** Answers a GET for a page asset; returns false when the path is not one. */
export function serveWeb(method: string, pathname: string, res: ServerResponse): boolean {
  if (method !== "GET" && method !== "HEAD") return false;
  if (pathname === "/favicon.ico") {
    res.writeHead(204, { "cache-control": "max-age=86400" });
    res.end();
    return true;
  }
  const asset = WEB_ASSETS.get(pathname);
  if (!asset) return false;
  res.writeHead(200, {
    "content-type": asset.type,
    "content-length": Buffer.byteLength(asset.body),
    "content-security-policy": WEB_CSP,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cache-control": "no-cache",
  });
  res.end(method === "HEAD" ? undefined : asset.body);
  return true;
}
