// Deno 2: the web's `beforeunload`/`unload`/`error`/`unhandledrejection` events on the global
// scope, `Deno.addSignalListener`, and Node-style code through Deno's `process`.
// docs/runtimes.md records the Deno behaviour this file relies on, as measured.
import { mark, programListeners } from '../company.ts';
import { drainStreams, guardStreams } from '../drain.ts';
import type { Drains, Host, Restart, Stop } from '../contract.ts';
import { exiting, failures, loopDrained, signalled } from '../ending.ts';
import { describe, tracePrefix, write } from '../report.ts';
import { leadsGroup, listened, signalsOf } from '../signals.ts';
import { bare, type Shared } from '../state.ts';
import { guarded } from './exits.ts';

/** The part of the `Deno` namespace we use, checked by shape before use. */
interface DenoNs {
  exit(code?: number): never;
  exitCode: number;
  pid: number;
  build?: { os?: string };
  addSignalListener(signal: string, handler: () => void): void;
  unrefTimer?(id: number): void;
  removeSignalListener(signal: string, handler: () => void): void;
  kill(pid: number, signal: string): void;
  permissions?: { querySync?(descriptor: { name: string; variable?: string; path?: string }): { state: string } };
  readTextFileSync?(path: string): string;
  mainModule?: string;
  env?: { get(name: string): string | undefined };
}

/** Deno's Node-compatible `process`, when the program also uses it. */
interface NodeProc {
  exit(code?: number): never;
  listenerCount(event: string): number;
  listeners?(event: string): unknown[];
  on?(event: string, listener: (code: number) => void): unknown;
  removeListener?(event: string, listener: (code: number) => void): unknown;
  emit?(event: string, code: number): unknown;
  getActiveResourcesInfo?(): string[];
}

interface Target {
  addEventListener(type: string, listener: (event: Event) => void): void;
  removeEventListener(type: string, listener: (event: Event) => void): void;
}

/** The signals Deno can listen to on this platform. */
const signals = (): Readonly<Record<string, number>> => signalsOf(deno()?.build?.os);

function deno(): DenoNs | undefined {
  const d = (globalThis as unknown as { Deno?: Partial<DenoNs> }).Deno;
  if (
    typeof d === 'object' && d !== null &&
    typeof d.exit === 'function' && typeof d.addSignalListener === 'function' &&
    typeof d.removeSignalListener === 'function' && typeof d.kill === 'function'
  ) {
    return d as DenoNs;
  }
  return undefined;
}

function proc(): NodeProc | undefined {
  try {
    const p = (globalThis as unknown as { process?: Partial<NodeProc> }).process;
    return typeof p === 'object' && p !== null && typeof p.exit === 'function' && typeof p.listenerCount === 'function'
      ? (p as NodeProc)
      : undefined;
  } catch {
    return undefined; // a hostile or revoked `process`: Deno's own API is enough
  }
}

function target(): Target | undefined {
  const g = globalThis as unknown as Partial<Target>;
  return typeof g.addEventListener === 'function' && typeof g.removeEventListener === 'function' ? (g as Target) : undefined;
}

/** True when Deno has granted a permission; never prompts (a prompt at exit would hang). */
function granted(d: DenoNs, descriptor: { name: string; variable?: string; path?: string }): boolean {
  try {
    return d.permissions?.querySync?.(descriptor).state === 'granted';
  } catch {
    return false;
  }
}

/**
 * Calls `event.preventDefault()` for us, and tells afterwards whether a later listener called it
 * too (the program's wish to go on).
 */
function watch(event: Event): () => boolean {
  let asked = false;
  const real = event.preventDefault;
  try {
    real.call(event);
    Object.defineProperty(event, 'preventDefault', bare({
      configurable: true,
      value(this: Event) {
        asked = true;
        return real.call(this);
      },
    }));
  } catch {
    // an event we cannot watch: as if no one else asked
  }
  return () => asked;
}

/** Number of listeners a Node-style program added with `process.on(event)`. */
function nodeListeners(event: string): number {
  try {
    return proc()?.listenerCount(event) ?? 0;
  } catch {
    return 0;
  }
}

/** What keeps the loop going (timers, at least), to see whether the program added to it. */
function resources(): number {
  try {
    return proc()?.getActiveResourcesInfo?.().length ?? 0;
  } catch {
    return 0;
  }
}

function host(): Host {
  const d = deno();
  let trace: string | undefined;
  if (d && granted(d, { name: 'env', variable: 'NODE_DEBUG' })) {
    try {
      trace = tracePrefix(d.env?.get('NODE_DEBUG'), d.pid);
    } catch {
      // no env access after all
    }
  }
  // Deno's `process.exit` emits 'exit' and then calls `Deno.exit`: replace both, so a
  // handler's `process.exit(n)` neither runs the program's exit listeners early nor exits.
  const watch = <T>(body: (exits: readonly unknown[]) => T, ms: number): T | Stop =>
    guarded([d, proc()].filter((h): h is DenoNs | NodeProc => h !== undefined), 'Deno.exit', body, ms);
  const timer = (fn: () => void, ms: number): (() => void) => {
    const id = setTimeout(fn, ms);
    try {
      d?.unrefTimer?.(id as unknown as number);
    } catch {
      // an older Deno: the timer keeps the program alive
    }
    return () => clearTimeout(id);
  };
  return { trace, timer, guard: (body) => watch(body, Infinity) as never, watch };
}

/** The status the program would end with now. */
function exitCode(): number {
  try {
    const code = Number(deno()?.exitCode ?? 0);
    return Number.isInteger(code) ? code : 0;
  } catch {
    return 0;
  }
}

/**
 * Ends the program now; `undefined` keeps the status it would have had. Through `process.exit`
 * when there is one, so a Node-style program's 'exit' listeners still run.
 */
function end(code: number | undefined): void {
  const p = proc();
  if (p) p.exit(code);
  else deno()?.exit(code);
}

/**
 * Calls `then` once what was written to `process.stdout` and `process.stderr` has left the
 * process, or after `ms`. Deno writes synchronously (measured: docs/runtimes.md), so this is
 * for a stream a program replaced; when nothing waits, `then` is called at once.
 */
function drain(ms: number, then: () => void): void {
  let streams: unknown[] = [];
  try {
    const p = proc() as { stdout?: unknown; stderr?: unknown } | undefined;
    streams = [p?.stdout, p?.stderr];
  } catch {
    // a getter that throws
  }
  drainStreams(streams, ms, then);
}

/**
 * Re-raises `signal` (see Adapter.kill). Deno.kill needs --allow-run: without it (or where the
 * signal cannot be sent, as on Windows) it is not sent, rather than asking for permission.
 * Measured on Deno 2.9 (Linux): Deno's own signal thread re-raises it, so the program ends inside
 * kill() or before the next timer turn, kill() itself taking up to 65 ms on a busy machine.
 */
function kill(signal: string): boolean {
  const d = deno();
  if (!d || !granted(d, { name: 'run' })) return false;
  try {
    d.kill(d.pid, signal);
    return true;
  } catch {
    return false;
  }
}

/**
 * `deno run --watch` (and `deno serve --watch`) restarts in-process: it raises SIGTERM to the
 * program's listeners and waits for it to end (see Restart). Deno tells the program nothing of
 * its flags: the command line is read from /proc (Linux, with read permission for it); elsewhere
 * a restart is taken for a real SIGTERM, whose re-raise then ends the watcher too.
 */
let watchMode: Restart | null | undefined;
function restart(): Restart | undefined {
  if (watchMode !== undefined) return watchMode ?? undefined;
  watchMode = null;
  const d = deno();
  const file = '/proc/self/cmdline';
  if (!d?.readTextFileSync || d.build?.os !== 'linux' || !granted(d, { name: 'read', path: file })) return undefined;
  try {
    // Deno's own flags come before the program's path: the argument that names the main module
    // (a flag's value, as in `--config deno.json` or `serve --port 8000`, does not), else the
    // first one after the subcommand that does not start with "-". Watch modes: --watch[=paths],
    // --hmr[=paths] and its older name --watch-hmr; --watch-exclude alone watches nothing.
    const args = d.readTextFileSync(file).split('\0').slice(1);
    if (args[0] === 'run' || args[0] === 'serve') args.shift();
    const main = decodeURIComponent(String(d.mainModule).replace(/^.*\//, ''));
    const path = (arg: string): boolean => !arg.startsWith('-') && arg.replace(/^.*[\\/]/, '') === main;
    let at = args.findIndex(path);
    if (at < 0) at = args.findIndex((arg) => !arg.startsWith('-'));
    const own = args.slice(0, at >>> 0);
    if (own.some((arg) => /^--(watch|watch-hmr|hmr)(=|$)/.test(arg))) watchMode = { signal: 'SIGTERM', waits: true };
  } catch {
    // no /proc after all
  }
  return watchMode ?? undefined;
}

/**
 * Whether a parent in the program's process group could deliver one signal twice (see
 * Adapter.relayable): read from /proc/self/stat (Linux, with read permission for it); true
 * where it cannot be read.
 */
function relayable(): boolean {
  const d = deno();
  const file = '/proc/self/stat';
  // Under `deno run --watch` Deno itself raises a Ctrl+C's SIGINT to the program a second time.
  if (restart() || !d?.readTextFileSync || d.build?.os !== 'linux' || !granted(d, { name: 'read', path: file })) return true;
  try {
    return !leadsGroup(d.readTextFileSync(file), d.pid);
  } catch {
    return true;
  }
}

export const adapter: Drains = {
  host,
  status: exitCode,
  // Only Node-style process.on(signal) listeners can be seen (Deno cannot tell about others);
  // those of atexit (any copy) and of other exit-hook libraries do not count (company.ts).
  listens: (signal) => {
    const p = proc();
    return p ? programListeners(p, signal, 1) > 0 : false;
  },
  afterOutput: drain,
  // Deno hears a signal that came meanwhile within two timer turns (one is not always enough
  // while the main module evaluates).
  later: (fn) => void setTimeout(() => setTimeout(fn, 0), 0),
  // We asked to go on (beforeunload), and hear on the next timer turn whether the program added
  // work, or a later listener asked too. Counted once our timer is queued: Deno counts it while
  // it runs (measured), so it counts then as now.
  added: (fn) => {
    setTimeout(() => fn(resources() > before), 0);
    const before = resources();
  },
  exit: end,
  kill,
  // Deno's signal thread delivers a re-raise later (see kill).
  inFlight: () => true,
  // As PID 1 the kernel drops a re-raise, and Deno then crashes (SIGSEGV).
  unsafeKill: () => deno()?.pid === 1,
  signals,
  reserved: () => undefined,
  restart,
  relayable,
  shield: () => {
    try {
      const p = proc() as { stdout?: unknown; stderr?: unknown } | undefined;
      guardStreams([p?.stdout, p?.stderr]);
    } catch {
      // a getter that throws
    }
  },
};

export function install(s: Shared): () => void {
  const d = deno();
  const t = target();
  if (!d || !t) return () => {};
  const signals = listened(s, adapter);

  // The loop drained: there is still time to await, but only if we ask Deno to go on
  // (preventDefault). A listener of the program's may ask the same, to schedule more work: one
  // that ran before ours shows as defaultPrevented; one after ours is heard through watch().
  // Deno fires this again when the loop drains again, and asking every time would never end:
  // we ask only while something is registered, runs, closes or lingers (ending.ts decides).
  const onBeforeUnload = (event: Event): void => {
    if (event.defaultPrevented || !loopDrained(s, adapter, () => watch(event))) return;
    // Deno emits a Node-style 'beforeExit' only when no one asked to go on, as we just did: the
    // program's listeners (`on` or `once`) get it from us, and whether they scheduled more work
    // shows on the turn of `added` too.
    if (nodeListeners('beforeExit') > 0) {
      try {
        proc()?.emit?.('beforeExit', exitCode());
      } catch (error) {
        setTimeout(() => {
          throw error; // as an error of the program's: onError
        });
      }
    }
  };
  // Deno.exit()/process.exit() from normal code, or the end after beforeunload: synchronous.
  // Microtasks queued from here never run. Also process 'exit', which a node:worker_threads
  // worker gets at its natural end (Deno fires neither beforeunload nor unload there), and
  // which comes before unload on process.exit().
  const onUnload = (code = exitCode()): void => {
    const asked = exiting(s, adapter, { reason: 'exit', code });
    if (asked?.code !== undefined) {
      try {
        // Read once the listeners return: Deno.exitCode after unload, process.exitCode by
        // Deno's process.exit() (which does not see Deno.exitCode).
        d.exitCode = asked.code;
        const p = proc() as { exitCode?: number } | undefined;
        if (p) p.exitCode = asked.code;
      } catch {
        // an invalid code: keep the one Deno had
      }
    }
  };
  // An uncaught exception (`error`) or unhandled rejection (`unhandledrejection`). When the
  // listeners return, Deno prints it and ends with status 1, firing neither beforeunload nor
  // unload, unless one calls preventDefault: then the program goes on and it is no ending. A
  // Node-style `process.on('uncaughtException' | 'unhandledRejection')` listener does the same
  // and is counted. A listener after ours is heard: we keep the program alive, and ending.ts
  // decides on the next timer turn; an error nobody handled runs the handlers and is raised
  // again for Deno.
  const failure = failures(s, adapter);
  const onFailure = (event: Event, error: unknown, promise: boolean): void => {
    if (event.defaultPrevented) return;
    if (nodeListeners('uncaughtException') > 0 || (promise && nodeListeners('unhandledRejection') > 0)) return;
    failure(error, {
      hold: (then) => {
        const handled = watch(event);
        // A timer, not a microtask: Deno runs microtasks between one listener and the next.
        setTimeout(() => then(handled()), 0);
      },
      // Deno prints it and ends with 1, as it would have; ours lets it pass (failures()).
      raise: () => {
        if (promise) void Promise.reject(error);
        else setTimeout(() => {
          throw error;
        });
      },
      // A handler asked for a status: Deno would not print the error when we exit, so print it
      // ourselves, as Deno would.
      end: (code) => {
        write(`error: Uncaught ${promise ? '(in promise) ' : ''}${describe(error)}`);
        d.exit(code);
      },
    });
  };
  const onError = (event: Event): void => onFailure(event, (event as ErrorEvent).error, false);
  const onRejection = (event: Event): void => onFailure(event, (event as PromiseRejectionEvent).reason, true);

  const events: [string, (event: Event) => void][] = [
    ['beforeunload', onBeforeUnload],
    ['unload', () => onUnload()],
    ['error', onError],
    ['unhandledrejection', onRejection],
  ];
  const signalListeners: [string, () => void][] = [];
  for (const [type, listener] of events) t.addEventListener(type, listener);
  const p = proc();
  const onExit = (code: number): void => onUnload(Number(code) | 0);
  try {
    p?.on?.('exit', onExit);
  } catch {
    // a `process` that only looks like Node's
  }
  // Node-style libraries (signal-exit) count process.on(signal) listeners to decide whether
  // they are alone; they cannot see Deno.addSignalListener. A marked listener that does nothing
  // makes us seen, so they wait for our re-raise, as on Node.
  const seen: [string, () => void][] = [];
  for (const signal of signals) {
    const listener = mark(() => {});
    try {
      if (p?.on) {
        p.on(signal, listener);
        seen.push([signal, listener]);
      }
    } catch {
      // a signal Deno's process does not have
    }
  }
  for (const signal of signals) {
    const listener = () => signalled(s, adapter, signal);
    try {
      d.addSignalListener(signal, listener);
      signalListeners.push([signal, listener]);
    } catch {
      // a signal this platform does not have
    }
  }
  let installed = true;
  return () => {
    if (!installed) return;
    installed = false;
    for (const [type, listener] of events) t.removeEventListener(type, listener);
    for (const [event, listener] of [['exit', onExit], ...seen] as const) {
      try {
        p?.removeListener?.(event, listener);
      } catch {
        // as above
      }
    }
    for (const [signal, listener] of signalListeners) {
      try {
        d.removeSignalListener(signal, listener);
      } catch {
        // already gone
      }
    }
  };
}
