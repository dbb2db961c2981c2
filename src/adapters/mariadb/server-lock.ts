// One operation at a time on a datadir's server: the primary role's start and stop and the replica
// keeper's checks never interleave (a replica re-pointed in the middle of a promotion would undo it).

const tails = new Map<string, Promise<unknown>>();

/** Runs `fn` after every earlier operation on `datadir` ended. */
export function withServerLock<T>(datadir: string, fn: () => Promise<T>): Promise<T> {
  const prev = tails.get(datadir) ?? Promise.resolve();
  const next = prev.then(fn, fn);
  tails.set(
    datadir,
    next.catch(() => undefined),
  );
  return next;
}
