// Other exit-hook libraries in the same program. A signal listener is "the program's own" (and
// atexit then leaves the signal to it) only if no exit-hook library put it there: signal-exit 3
// and 4 count their listeners on emitters they keep on `process` and `globalThis`, and every
// copy of atexit, of any major, marks its listeners with MARK. Without this, each library
// would take the other's listener for the program's and wait for it: nothing would run, and
// the signal would be lost.
//
// Two contracts between copies and majors of atexit; keep both as they are:
// - MARK, a property (value `true`) on each `process` signal listener atexit adds;
// - RAISING, a Set on `globalThis` holding one `{ signal }` object per copy that is running its
//   handlers for that signal and will re-raise it when they finish. Only the last copy to
//   finish re-raises: an earlier one would stop the others' handlers (to a running copy, a
//   signal is a second one, which ends the program at once). A Set, not the listeners, because
//   Deno's signal listeners cannot be listed.

const MARK = Symbol.for('atexit.listener');
const RAISING = Symbol.for('atexit.raising');

/** The part of Node's `process` this module reads. */
export interface Listeners {
  listeners?(event: string): unknown[];
  listenerCount(event: string): number;
}

/** Marks `listener` as atexit's own, for every copy and major; returns it. */
export function mark<F extends (...args: never[]) => void>(listener: F): F {
  return Object.defineProperty(listener, MARK, { value: true }); // a new function: never fails
}

function marked(listener: unknown): boolean {
  try {
    return (listener as Record<symbol, unknown>)[MARK] === true;
  } catch {
    return false; // a listener we cannot look into (a revoked Proxy): the program's
  }
}

/** The number of instances signal-exit 3 and 4 have loaded (each listens once per signal). */
function signalExit(p: unknown): number {
  let count = 0;
  try {
    const v4 = (globalThis as Record<symbol, { count?: unknown } | undefined>)[Symbol.for('signal-exit emitter')];
    if (typeof v4?.count === 'number') count += v4.count;
    const v3 = (p as { __signal_exit_emitter__?: { count?: unknown } }).__signal_exit_emitter__;
    if (typeof v3?.count === 'number') count += v3.count;
  } catch {
    // a getter that throws: nothing to subtract
  }
  return count;
}

/**
 * The number of listeners for `signal` that are the program's own: all of them but those of
 * atexit (any copy) and of signal-exit 3 and 4. `own` is how many of them this copy added
 * there (read only when `p` has no `listeners()`). Never throws; a `process` it cannot read
 * has none. exit-hook and when-exit count as the program's: each handles the signal at once
 * (exit-hook ends with `process.exit(128 + n)`; when-exit removes its listener and re-sends
 * the signal, which atexit then handles).
 */
export function programListeners(p: Listeners, signal: string, own: number): number {
  let all: unknown[];
  try {
    all = p.listeners!(signal);
  } catch {
    // A `process` that cannot list its listeners (no listeners(), or a listener it cannot
    // unwrap): all but this copy's are the program's.
    try {
      return Math.max(0, p.listenerCount(signal) - own);
    } catch {
      return 0;
    }
  }
  const others = all.filter((listener) => !marked(listener)).length;
  // signal-exit listens to SIGHUP, SIGINT and SIGTERM everywhere (never SIGBREAK).
  const library = signal === 'SIGBREAK' ? 0 : signalExit(p);
  return Math.max(0, others - library);
}

function raisers(): Set<{ signal: string }> | undefined {
  try {
    const g = globalThis as Record<symbol, unknown>;
    if (!(g[RAISING] instanceof Set)) Object.defineProperty(g, RAISING, { value: new Set(), configurable: true });
    return g[RAISING] as Set<{ signal: string }>;
  } catch {
    return undefined; // a frozen global: every copy re-raises for itself
  }
}

/**
 * Says that this copy runs its handlers for `signal` and means to re-raise it. The returned
 * function withdraws that, and then tells whether this copy should re-raise now: true unless
 * another copy still runs for the same signal (that one re-raises when it finishes).
 */
export function raising(signal: string): () => boolean {
  const me = { signal };
  raisers()?.add(me);
  return () => {
    const all = raisers();
    if (!all) return true;
    all.delete(me);
    for (const other of all) if (other?.signal === signal) return false;
    return true;
  };
}
