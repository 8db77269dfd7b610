// Other exit-hook libraries in the same program. A signal listener is "the program's own" (and
// atexit then leaves the signal to it) only if no exit-hook library put it there: signal-exit 3
// and 4 count their listeners on emitters they keep on `process` and `globalThis`, and every
// copy of atexit, of any major, marks its listeners. Without this, each library would take the
// other's listener for the program's and wait for it: nothing would run, the signal be lost.
//
// Two contracts between copies and majors of atexit; keep both as they are:
// - MARK, a property (value `true`) on each `process` signal listener atexit adds;
// - RAISING, a Set on `globalThis` holding one `{ signal }` object per copy that is running its
//   handlers for that signal and will re-raise it when they finish. Only the last copy to
//   finish re-raises: an earlier one would stop the others' handlers (to a running copy, a
//   signal is a second one, which ends the program at once). A Set, not the listeners, because
//   Deno's signal listeners cannot be listed.

import { bare, ownProp } from './state.ts';

const MARK = Symbol.for('atexit.listener');
const RAISING = Symbol.for('atexit.raising');

/** The part of Node's `process` this module reads. */
export interface Listeners {
  rawListeners?(event: string): unknown[];
  listeners?(event: string): unknown[];
  listenerCount(event: string): number;
}

/** Marks `listener` (a function atexit just made) as atexit's, for every copy and major. */
export const mark = <F extends (...args: never[]) => void>(listener: F): F => Object.defineProperty(listener, MARK, bare({ value: true }));

/**
 * The number of listeners for `signal` that are the program's own: all of them but those of
 * atexit (any copy) and of signal-exit 3 and 4 (each loaded instance listens once to SIGHUP,
 * SIGINT and SIGTERM, never SIGBREAK). exit-hook and when-exit count as the program's: each
 * handles the signal at once (exit-hook ends with `process.exit(128 + n)`; when-exit removes
 * its listener and re-sends the signal, which atexit then handles). When `p` cannot list its
 * listeners (or a mark cannot be read) all but `own`, this copy's, are the program's. Never throws.
 */
export function programListeners(p: Listeners, signal: string, own: number): number {
  try {
    let count = 0;
    // rawListeners(): listeners() unwraps `once` wrappers by reading each function's `listener`,
    // which a polluted Object.prototype answers for every function.
    const all = typeof p.rawListeners === 'function' ? p.rawListeners(signal) : p.listeners!(signal);
    let marked = 0;
    for (const listener of all) if ((listener as Record<symbol, unknown>)[MARK] !== true) count++;
    else marked++;
    // A tool that hides its own relay from listenerCount() (tsx's child) is not the program either.
    count = Math.min(count, p.listenerCount(signal) - marked);
    if (signal !== 'SIGBREAK') {
      // Own properties only: a polluted Object.prototype must not pass for signal-exit.
      const v4 = ownProp(globalThis, Symbol.for('signal-exit emitter'));
      const v3 = ownProp(p, '__signal_exit_emitter__');
      count -= (Number(ownProp(v4, 'count')) || 0) + (Number(ownProp(v3, 'count')) || 0);
    }
    return Math.max(0, count);
  } catch {
    try {
      return Math.max(0, p.listenerCount(signal) - own);
    } catch {
      return 0;
    }
  }
}

/**
 * Says that this copy runs its handlers for `signal` and means to re-raise it. The returned
 * function withdraws that, and tells whether this copy should re-raise now: true unless
 * another copy still runs for the same signal (that one re-raises when it finishes).
 */
export function raising(signal: string): () => boolean {
  const me = { signal };
  const g = globalThis as Record<symbol, unknown>;
  let all: Set<{ signal: string }> | undefined;
  try {
    if (!(g[RAISING] instanceof Set)) Object.defineProperty(g, RAISING, bare({ value: new Set(), configurable: true }));
    (all = g[RAISING] as Set<{ signal: string }>).add(me);
  } catch {
    // a global we cannot write to: this copy re-raises for itself
  }
  return () => {
    all?.delete(me);
    return ![...(all ?? [])].some((other) => other.signal === signal);
  };
}
