/** Anything a registration can call. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Handler = (...args: any[]) => unknown;

/** Receives one registration taken out by a drain; returns false to stop the drain there. */
export type Visit = (func: Handler, args: readonly unknown[] | undefined) => boolean;

/**
 * A drain in progress, as `Registry.drain()` hands it out: no generator, no object per
 * registration, and the walk over the registry stays in one loop, so a run pays a few
 * nanoseconds per handler on top of calling it.
 */
export interface Drain {
  /**
   * Takes the registrations out, newest first, each just before it is handed to `visit`, until
   * `visit` returns false (then false) or none is left (then true). Registrations made while
   * draining are not visited; those removed before their turn are skipped. May be called
   * again to go on, also from inside `visit`.
   */
  each(visit: Visit): boolean;
  /**
   * Ends the drain, however it ends: the registry is emptied, unless `abandoned` (the run was
   * stopped inside a handler of an outer drain, whose older registrations are still to come).
   * What was registered while draining and is still there then is handed to the registry's
   * `dropped` first. Calling it again does nothing.
   */
  end(abandoned?: boolean): void;
}

export interface Registry {
  /** Number of live registrations. */
  readonly size: number;
  add(func: Handler, args: readonly unknown[] | undefined): void;
  /** Removes every live registration of `func` (matched with `===`). */
  remove(func: unknown): void;
  clear(): void;
  drain(): Drain;
}

type Index = Map<unknown, number | number[]>;

/** Adds slot `i` of `func` to the index. */
function note(index: Index, func: unknown, i: number): void {
  const seen = index.get(func);
  if (seen === undefined) index.set(func, i);
  else if (typeof seen === 'number') index.set(func, [seen, i]);
  else seen.push(i);
}

/**
 * Indexes every function in `slots`, of which `filled` are not empty. Most programs register
 * each function once: then one native pass (no JavaScript runs per slot, so it is fast even
 * before the code is warm) maps every slot's content to its position; arguments are indexed
 * too, harmlessly, each array being its own. If some function was met twice, fewer keys than
 * filled slots come out: it is done again in JavaScript, setting each function without
 * looking it up first, and indexing the repeated ones in a second pass.
 */
function indexOf(slots: readonly unknown[], filled: number): Index {
  const index: Index = new Map();
  slots.forEach(index.set, index);
  index.delete(undefined);
  if (index.size === filled) return index;
  index.clear();
  let repeated: Set<unknown> | undefined;
  for (let i = 0, n = slots.length; i < n; i++) {
    const slot = slots[i];
    if (typeof slot !== 'function') continue;
    const known = index.size;
    if (index.set(slot, i).size === known) (repeated ??= new Set()).add(slot);
  }
  if (repeated) {
    for (const func of repeated) index.delete(func);
    for (let i = 0, n = slots.length; i < n; i++) if (repeated.has(slots[i])) note(index, slots[i], i);
  }
  return index;
}

/**
 * The LIFO stack of registrations: a pure data structure, no runtime globals.
 *
 * One array holds the registrations in the order they were made: a function, followed by its
 * arguments (an array) only when some were given. A slot holds a function, an array of
 * arguments or nothing (undefined), so `typeof` tells them apart (never `Array.isArray`, which
 * throws on a revoked Proxy), and a drain walking down meets a function's arguments just
 * before the function. A program that never unregisters pays for nothing else.
 *
 * The first `remove` builds an index (function -> its slot, or slots) in one pass, kept up to
 * date by `add` until the registry empties; from then on `remove` costs what that function's
 * registrations cost, whatever the size of the registry. Removed slots are emptied at once, so
 * the function and its arguments can be collected, and squeezed out once they outnumber the
 * live ones: amortised O(1), and memory follows the live registrations.
 */
export function createRegistry(dropped?: (funcs: Handler[]) => void): Registry {
  let slots: unknown[] = [];
  let late: number[] = []; // the slots of registrations made while draining (since the last clear)
  let index: Index | undefined;
  let size = 0;
  let withArgs = 0; // live registrations that have arguments (each fills two slots)
  let dead = 0; // emptied slots not yet squeezed out
  let epoch = 0; // bumped by clear(), so a drain in progress stops at once
  let draining = 0;

  /** Removes the registration whose function is in slot `i`: empties it and its arguments'. */
  const take = (i: number): void => {
    slots[i] = undefined;
    if (withArgs) {
      // Unread without arguments: in a big registry an uncached slot costs more than the rest.
      const args = slots[i + 1];
      if (typeof args === 'object') {
        index?.delete(args);
        slots[i + 1] = undefined;
        withArgs--;
      }
    }
    size--;
    dead++;
  };
  /** `add` when there are arguments to keep or an index to update. */
  const addMore = (func: Handler, args: readonly unknown[] | undefined): void => {
    const i = slots.push(func) - 1;
    if (draining) late.push(i);
    if (args) {
      slots.push(args);
      withArgs++;
    }
    if (index) note(index, func, i);
  };

  const registry: Registry = {
    get size() {
      return size;
    },
    add(func, args) {
      // Small, so that V8 optimizes it early: start-up registers many before the code is warm.
      if (args || index || draining) addMore(func, args);
      else slots.push(func);
      size++;
    },
    remove(func) {
      if (typeof func !== 'function') return;
      // The first removal since the registry was last empty builds the index.
      index ??= indexOf(slots, size + withArgs);
      const at = index.get(func);
      if (at === undefined) return;
      index.delete(func);
      // The index is exact but while a drain is in progress: a drain takes registrations out
      // without telling it, so a slot that no longer holds `func` has been taken already.
      if (typeof at === 'number') {
        if (!draining || slots[at] === func) take(at);
      } else {
        for (const i of at) if (!draining || slots[i] === func) take(i);
      }
      if (draining) return;
      if (!size) registry.clear();
      else if (dead > size + 64) {
        // Squeeze out the removed and index the rest: amortised over the removals that emptied them.
        slots = slots.filter((slot) => slot !== undefined);
        index = indexOf(slots, size + withArgs);
        dead = 0;
      }
    },
    clear() {
      slots = [];
      late = [];
      index = undefined;
      size = withArgs = dead = 0;
      epoch++;
    },
    drain() {
      const mine = epoch;
      const list = slots;
      let at = list.length; // the next slot to look at is the one below
      let over = false;
      draining++;
      return {
        each(visit) {
          let args: unknown; // the slot above the one being looked at
          while (at > 0 && mine === epoch) {
            const i = --at;
            const slot = list[i];
            if (typeof slot !== 'function') {
              args = slot; // arguments, or a slot emptied by a removal or a nested drain
              continue;
            }
            // Taken out: a run nested in a handler must not see it again. Its stale entry in
            // the index is skipped by remove() and dropped by the clear() that ends the drain.
            list[i] = undefined;
            if (args !== undefined) {
              list[i + 1] = undefined;
              withArgs--;
            }
            size--;
            if (!visit(slot as Handler, args as readonly unknown[] | undefined)) return false;
            args = undefined;
          }
          return true;
        },
        end(abandoned) {
          if (over) return;
          over = true;
          draining--;
          if (abandoned) return;
          // Also what was registered meanwhile, as in CPython (unless a nested drain took it).
          const left = late.map((i) => slots[i]).filter((slot): slot is Handler => typeof slot === 'function');
          registry.clear();
          if (left.length) dropped?.(left);
        },
      };
    },
  };
  return registry;
}
