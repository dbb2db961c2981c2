// The cluster keys on reload: the key file is read again, and a changed key ring (a step of a key
// rotation, see adapters/key-ring.ts) goes to the cluster thread, which signs with the first key and
// accepts every key from its next packet on. An unreadable or invalid file refuses the whole reload.
import { keyId, readKeyRing, type KeyRing } from "../adapters/key-ring.js";
import type { ReloadablePart } from "./reload.js";

const hexOf = (ring: KeyRing) => ring.accept.map((k) => k.toString("hex"));
const idOf = (k: Buffer) => keyId(k).toString(16).padStart(8, "0");

/** The reload part of the cluster keys; `apply` hands the new ring (hex, sending key first) to `set`. */
export function keyPart(running: KeyRing, set: (keysHex: string[]) => void): ReloadablePart {
  let current = running;
  let read: KeyRing | undefined;
  return {
    name: "cluster keys",
    check(_current, next) {
      read = undefined;
      try {
        read = readKeyRing(next.cluster.key_file);
        return [];
      } catch (err) {
        return [{ code: "E_KEY_FILE", path: ["cluster", "key_file"], message: (err as Error).message }];
      }
    },
    apply() {
      const next = read;
      if (!next || hexOf(next).join() === hexOf(current).join()) return [];
      current = next;
      set(hexOf(next));
      return [`cluster keys: sending with key ${idOf(next.send)}, accepting ${next.accept.map(idOf).join(" and ")}`];
    },
  };
}
