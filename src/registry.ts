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

/** Fills the slot of a registration that was removed or has run; never in `slots`. */
const spent: Handler = () => {};

/**
 * The LIFO stack of registrations: a pure data structure, no runtime globals.
 *
 * Two parallel arrays hold the registrations in the order they were made, and a map finds
 * each function's slots (a number for one registration, an array for several), so `remove`
 * costs what that function's registrations cost, whatever the size of the registry. Removed
 * slots are emptied at once, so the function and its arguments can be collected, and are
 * squeezed out once they outnumber the live ones: amortised O(1), memory follows the live.
 */
export function createRegistry(): Registry {
  let funcs: Handler[] = [];
  let args: (readonly unknown[] | undefined)[] = [];
  let slots = new Map<unknown, number | number[]>();
  let size = 0;
  let dead = 0;
  let epoch = 0; // bumped by clear(), so a drain in progress stops at once
  let draining = 0;

  const registry: Registry = {
    get size() {
      return size;
    },
    add(func, list) {
      const i = funcs.push(func) - 1;
      args.push(list);
      const at = slots.get(func);
      if (at === undefined) slots.set(func, i);
      else if (typeof at === 'number') slots.set(func, [at, i]);
      else at.push(i);
      size++;
    },
    remove(func) {
      const at = slots.get(func);
      if (at === undefined) return;
      slots.delete(func);
      for (const i of typeof at === 'number' ? [at] : at) {
        if (funcs[i] !== func) continue; // it has run already (a drain in progress)
        funcs[i] = spent;
        args[i] = undefined;
        size--;
        dead++;
      }
      if (draining) return;
      if (!size) registry.clear();
      else if (dead > size + 64) {
        const [oldFuncs, oldArgs] = [funcs, args];
        registry.clear();
        oldFuncs.forEach((f, i) => f !== spent && registry.add(f, oldArgs[i]));
      }
    },
    clear() {
      funcs = [];
      args = [];
      slots = new Map();
      size = dead = 0;
      epoch++;
    },
    *drain() {
      const mine = epoch;
      draining++;
      try {
        for (let i = funcs.length; i-- > 0 && mine === epoch; ) {
          if (funcs[i] === spent) continue;
          const entry: Entry = [funcs[i]!, args[i]];
          // Taken out: a run nested in a handler must not see it again. Its stale slot in
          // `slots` is skipped by remove() and dropped by the clear() that ends the drain.
          funcs[i] = spent;
          args[i] = undefined;
          size--;
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
