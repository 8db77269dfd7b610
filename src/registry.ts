/** Anything a registration can call. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Handler = (...args: any[]) => unknown;

/** One registration, as `drain()` hands it out. */
export type Entry = [func: Handler, args: readonly unknown[] | undefined];

export interface Registry {
  /** Number of live registrations. */
  readonly size: number;
  add(func: Handler, args: readonly unknown[] | undefined): void;
  /** Removes every live registration of `func` (matched with `===`). */
  remove(func: unknown): void;
  clear(): void;
  /**
   * Takes the registrations out newest first, each just before it is yielded. Those made
   * while draining are not visited; those removed before their turn are skipped. When the
   * drain ends, however it ends, the registry is empty.
   */
  drain(): Generator<Entry, void, undefined>;
}

/** Stands in for a registration that has been taken out to run; it is never counted. */
const spent: Handler = () => {};

/**
 * The LIFO stack of registrations: a pure data structure, no runtime globals.
 *
 * Two parallel arrays hold the registrations in the order they were made. `remove` never
 * scans them: it records, per function, the height below which that function's
 * registrations are dead (`cut`), and a per-function count keeps `size` exact. Dead slots
 * are squeezed out once they outnumber the live ones, so the cost stays amortised O(1)
 * and memory follows the live registrations.
 */
export function createRegistry(): Registry {
  let funcs: Handler[] = [];
  let args: (readonly unknown[] | undefined)[] = [];
  const count = new Map<unknown, number>(); // live registrations per function
  const cut = new Map<unknown, number>(); // a function's registrations below this index are dead
  let size = 0;
  let dead = 0;
  let epoch = 0; // bumped by clear(), so a drain in progress stops at once
  let draining = 0;

  const live = (i: number): boolean => count.has(funcs[i]) && i >= (cut.get(funcs[i]) ?? 0);

  const registry: Registry = {
    get size() {
      return size;
    },
    add(func, list) {
      funcs.push(func);
      args.push(list);
      count.set(func, (count.get(func) ?? 0) + 1);
      size++;
    },
    remove(func) {
      const n = count.get(func);
      if (n === undefined) return;
      count.delete(func);
      cut.set(func, funcs.length);
      size -= n;
      dead += n;
      if (draining) return;
      if (!size) registry.clear();
      else if (dead > size + 64) {
        // Squeeze out the dead: amortised over the removals that made them.
        const keep = funcs.map((_, i) => live(i));
        funcs = funcs.filter((_, i) => keep[i]);
        args = args.filter((_, i) => keep[i]);
        cut.clear();
        dead = 0;
      }
    },
    clear() {
      funcs = [];
      args = [];
      count.clear();
      cut.clear();
      size = dead = 0;
      epoch++;
    },
    *drain() {
      const mine = epoch;
      draining++;
      try {
        for (let i = funcs.length; i-- > 0 && mine === epoch; ) {
          if (!live(i)) continue;
          const entry: Entry = [funcs[i]!, args[i]];
          const n = count.get(entry[0])!;
          if (n > 1) count.set(entry[0], n - 1);
          else count.delete(entry[0]);
          size--;
          // A run nested in a handler must not see this registration again.
          funcs[i] = spent;
          args[i] = undefined;
          yield entry;
        }
      } finally {
        draining--;
        registry.clear(); // also what was registered meanwhile, as in CPython
      }
    },
  };
  return registry;
}
