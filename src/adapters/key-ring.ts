// The cluster key file: one key per line, at most two. The first line is the key this node sends with;
// every key in the file is accepted. Rotating the key without an outage is three passes over the nodes,
// each pass a file edit and a reload (`vigil reload` / SIGHUP) on every node in turn:
//   1. append the new key as a second line   (send old, accept both)
//   2. swap the lines: new key first          (send new, accept both)
//   3. remove the old key                     (send new, accept new)
// Between passes every node accepts what every other node sends, so no packet is refused. A frame
// names its key by a key id (4 bytes of SHA-256 of the key), so a receiver runs one HMAC per packet.
import { createHash } from "node:crypto";
import { KEY_SECRET, MIN_KEY_BYTES, readSecretFile } from "./secret-file.js";

/** Keys a node holds: `send` signs its packets; `accept` (send first) verifies received ones. */
export interface KeyRing {
  send: Buffer;
  accept: Buffer[];
}

/** Most keys a key file may hold (the current and the next during a rotation). */
export const MAX_KEYS = 2;

/** The 4-byte key id a frame carries for `key`. */
export function keyId(key: Buffer): number {
  return createHash("sha256").update("vigil key id\0").update(key).digest().readUInt32BE(0);
}

/** Parses key file text; returns a sentence saying what to fix when it is not a usable key ring. */
export function parseKeyRing(text: string, file: string): { ok: true; ring: KeyRing } | { ok: false; error: string } {
  const lines = text
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "");
  if (lines.length === 0) return { ok: false, error: `${file} holds no key (make one with: vigil keygen -o ${file})` };
  if (lines.length > MAX_KEYS)
    return {
      ok: false,
      error: `${file} holds ${lines.length} keys; at most ${MAX_KEYS} (the key in use first, the next one during a rotation)`,
    };
  const keys = lines.map((l) => Buffer.from(l, "utf8"));
  for (const [i, k] of keys.entries())
    if (k.length < MIN_KEY_BYTES)
      return {
        ok: false,
        error: `${file} line ${i + 1}: a key needs at least ${MIN_KEY_BYTES} bytes, this one has ${k.length} (make one with: vigil keygen)`,
      };
  if (keys.length === 2 && keyId(keys[0] as Buffer) === keyId(keys[1] as Buffer))
    return { ok: false, error: `${file} holds the same key twice; the second line is for the next key only` };
  return { ok: true, ring: { send: keys[0] as Buffer, accept: keys } };
}

/** Reads a key file under the secret-file rules (regular file, no symlink, 0600/0400, trusted owner, not
 * empty) and parses it; throws an Error whose message says what to fix. */
export function readKeyRing(file: string): KeyRing {
  const read = readSecretFile(file, KEY_SECRET);
  if (!read.ok) throw new Error(read.message);
  const r = parseKeyRing(read.secret, file);
  if (!r.ok) throw new Error(r.error);
  return r.ring;
}
