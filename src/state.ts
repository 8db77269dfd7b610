import { createRegistry, type Handler, type Registry } from './registry.ts';
import { printReport, reportDropped, type Reporter } from './report.ts';
import type { Act, Run } from './contract.ts';

/**
 * A signal `configure({ signals })` can take: the POSIX signals Node, Deno and Bun name (Linux's,
 * the BSDs' and macOS's), and Windows' SIGBREAK; not those atexit refuses (SIGKILL, SIGSTOP,
 * the faults, SIGUSR1, SIGPIPE, SIGPROF, SIGTRAP). A runtime may still not know one of them on
 * its platform: `configure()` then throws.
 */
export type Signal =
  | 'SIGHUP' | 'SIGINT' | 'SIGQUIT' | 'SIGABRT' | 'SIGIOT' | 'SIGUSR2' | 'SIGALRM' | 'SIGTERM'
  | 'SIGSTKFLT' | 'SIGCHLD' | 'SIGCONT' | 'SIGTSTP' | 'SIGTTIN' | 'SIGTTOU' | 'SIGURG' | 'SIGXCPU'
  | 'SIGXFSZ' | 'SIGVTALRM' | 'SIGWINCH' | 'SIGIO' | 'SIGPOLL' | 'SIGPWR' | 'SIGSYS' | 'SIGINFO'
  | 'SIGEMT' | 'SIGLOST' | 'SIGUNUSED' | 'SIGBREAK';

/** Settings shared by every copy of the package (see `configure()`). */
export interface Options {
  /**
   * Milliseconds: the deadline that bounds the whole run of handlers, synchronous ones included
   * (`Infinity`: no deadline). Past it the remaining handlers still run, without being awaited.
   */
  deadline: number;
  /** Receives every failure of a handler. */
  reporter: Reporter;
  /**
   * The signals atexit treats as endings; by default the platform's (SIGHUP, SIGINT, SIGTERM
   * and SIGUSR2 on POSIX systems, SIGBREAK on Windows). Not used in browsers.
   */
  signals: Signal[];
}

/** The one process-wide (per worker) state, shared by every loaded copy of the package. */
export interface Shared {
  readonly version: 2;
  readonly registry: Registry;
  /** The settings; `signals` undefined means the platform's defaults (see ending.ts). */
  readonly options: Omit<Options, 'signals'> & { signals?: readonly string[] | undefined };
  /**
   * `this` for handlers registered as static-method decorators; made by the first decorator,
   * so a run without decorators looks nothing up.
   */
  self?: WeakMap<Handler, unknown> | undefined;
  /** Under `NODE_DEBUG=atexit`: where each handler was first registered, for its failure's trace line. */
  sites?: WeakMap<Handler, string> | undefined;
  /**
   * The registrations made by `use(resource)` and `defer(func)`, by resource or function, so that
   * `unregister()` finds them; made by the first of those calls.
   */
  uses?: WeakMap<object, Handler[]> | undefined;
  /** The innermost run in progress, if any. */
  run?: Run | undefined;
  /**
   * After a run: the last act waiting for output to drain, or 'linger' while the listeners stay
   * one more turn to hear a signal that came during synchronous handlers (see ending.ts). Copies
   * of the same shape read each other's: its values are part of the shape.
   */
  closing?: NonNullable<Act> | 'linger' | undefined;
  /**
   * The signal that began the ending (or last changed it), when it or its last relayed copy was
   * heard, and how many copies came: see `WINDOW` and `COPIES`.
   */
  cause?: { signal: string; at: number; copies: number } | undefined;
  /** Set while the runtime adapter's listeners are installed. */
  uninstall?: (() => void) | undefined;
}

// The number is the shape's: bumped when `Shared` or `Registry` changes, so copies of
// different shapes keep apart instead of misreading each other's state.
const KEY = Symbol.for('atexit/2');
/** This copy's shared state once found or made; read directly by register()'s fast path. */
export let mine: Shared | undefined;

/** Finds or creates the shared state; tolerates a foreign, frozen or hostile value under our key. */
export function shared(): Shared {
  if (mine) return mine;
  try {
    const found = (globalThis as Record<symbol, Shared | undefined>)[KEY];
    if (found?.version === 2 && typeof found.registry.drain === 'function' && (found.self === undefined || found.self instanceof WeakMap) && (found.uses === undefined || found.uses instanceof WeakMap)) return (mine = found);
  } catch {
    // a throwing getter, a revoked Proxy: not ours
  }
  // Every field an own property from the start, so that none is ever read from a polluted
  // Object.prototype. Not a prototype-less object: V8 keeps those in dictionary mode, which
  // doubles the cost of register()'s fast path.
  mine = { version: 2, registry: createRegistry(reportDropped), options: { deadline: 10_000, reporter: printReport, signals: undefined }, self: undefined, sites: undefined, uses: undefined, run: undefined, closing: undefined, uninstall: undefined, cause: undefined };
  try {
    Object.defineProperty(globalThis, KEY, bare({ value: mine, configurable: true }));
  } catch {
    // A frozen global or a foreign non-configurable value: this copy keeps its own registry.
  }
  return mine;
}

/** `fields` in an object without a prototype (see shared()). */
export const bare = <T extends object>(fields: T): T => Object.assign(Object.create(null) as T, fields);

/** `o[key]` if `o` is an object with that own property: never what a polluted prototype holds. */
export const ownProp = (o: unknown, key: PropertyKey): unknown => (typeof o === 'object' && o !== null && Object.hasOwn(o, key) ? (o as Record<PropertyKey, unknown>)[key] : undefined);

/** Removes the adapter's listeners once nothing is registered, runs, or is closing. */
export function release(s: Shared): void {
  if (s.registry.size === 0 && !s.run && !s.closing && s.uninstall) {
    const { uninstall } = s;
    s.uninstall = undefined;
    uninstall();
  }
}
