/**
 * Concurrency across keys, order within a key: the stream dispatcher handles the records of
 * different session trees at once and one tree's records one after another, so each tree's
 * events are published in the order its writes happened. A failed record fails the records of
 * its key that follow it (they are delivered again, after it), never overtakes it.
 */
export class KeyedOrderError extends Error {
  override name = 'KeyedOrderError';
}

export function orderedPerKey(): <T>(key: string, task: () => Promise<T>) => Promise<T> {
  const tails = new Map<string, Promise<unknown>>();
  return <T>(key: string, task: () => Promise<T>): Promise<T> => {
    const prev = tails.get(key);
    const run: Promise<T> = prev
      ? prev.then(task, (e: unknown) => {
          throw new KeyedOrderError(`an earlier record of ${key} failed`, { cause: e });
        })
      : task();
    tails.set(key, run);
    return run;
  };
}
