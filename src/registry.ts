/** Anything a registration can call. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Handler = (...args: any[]) => unknown;

/** Stands in for a registration that has been taken out to run; it is never counted. */
const spent: Handler = () => {};

/**
 * The LIFO stack of registrations: a pure data structure, no runtime globals.
 *
 * Two parallel arrays hold the registrations in the order they were made. `unregister`
 * never scans them: it records, per function, the height below which that function's
 * registrations are dead (`#cut`), and a per-function count keeps `size` exact. Dead slots
 * are squeezed out once they outnumber the live ones, so the cost stays amortised O(1)
 * and memory follows the live registrations.
 */
export class Registry {
  #funcs: Handler[] = [];
  #args: (readonly unknown[] | undefined)[] = [];
  /** Live (not yet run, not unregistered) registrations per function. */
  #count = new Map<Handler, number>();
  /** Registrations of a function below this index are unregistered. */
  #cut = new Map<Handler, number>();
  #size = 0;
  #dead = 0;
  /** Bumped by `clear`, so a drain in progress stops at once. */
  #epoch = 0;
  #draining = 0;

  /** Number of live registrations. */
  get size(): number {
    return this.#size;
  }

  add(func: Handler, args: readonly unknown[] | undefined): void {
    this.#funcs.push(func);
    this.#args.push(args);
    this.#count.set(func, (this.#count.get(func) ?? 0) + 1);
    this.#size++;
  }

  /** Removes every live registration of `func` (matched with `===`). */
  remove(func: unknown): void {
    const count = this.#count.get(func as Handler);
    if (count === undefined) return;
    this.#count.delete(func as Handler);
    this.#cut.set(func as Handler, this.#funcs.length);
    this.#size -= count;
    this.#dead += count;
    if (this.#draining) return;
    if (this.#size === 0) this.clear();
    else if (this.#dead > this.#size + 64) this.#compact();
  }

  clear(): void {
    this.#funcs = [];
    this.#args = [];
    this.#count.clear();
    this.#cut.clear();
    this.#size = this.#dead = 0;
    this.#epoch++;
  }

  /**
   * Takes the registrations out newest first, each just before it is yielded. Those made
   * while draining are not visited; those removed before their turn are skipped. When the
   * drain ends, however it ends, the registry is empty.
   */
  *drain(): Generator<[Handler, readonly unknown[] | undefined], void, undefined> {
    const epoch = this.#epoch;
    this.#draining++;
    try {
      for (let i = this.#funcs.length; i-- > 0 && epoch === this.#epoch; ) {
        const func = this.#funcs[i]!;
        const count = this.#count.get(func);
        if (count === undefined || i < (this.#cut.get(func) ?? 0)) continue;
        if (count === 1) this.#count.delete(func);
        else this.#count.set(func, count - 1);
        this.#size--;
        const args = this.#args[i];
        // A run nested in a handler must not see this registration again.
        this.#funcs[i] = spent;
        this.#args[i] = undefined;
        yield [func, args];
      }
    } finally {
      this.#draining--;
      if (epoch === this.#epoch) this.clear();
    }
  }

  #compact(): void {
    const funcs: Handler[] = [];
    const args: (readonly unknown[] | undefined)[] = [];
    for (let i = 0; i < this.#funcs.length; i++) {
      const func = this.#funcs[i]!;
      if (this.#count.has(func) && i >= (this.#cut.get(func) ?? 0)) {
        funcs.push(func);
        args.push(this.#args[i]);
      }
    }
    this.#funcs = funcs;
    this.#args = args;
    this.#cut.clear();
    this.#dead = 0;
  }
}
