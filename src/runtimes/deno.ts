// Deno 2: the web's `beforeunload`/`unload`/`error`/`unhandledrejection` events on the global
// scope, `Deno.addSignalListener`, and Node-style code through Deno's `process`.
// docs/runtimes.md records the Deno behaviour this file relies on, as measured.
import { mark, programListeners, raising } from '../company.ts';
import { drainStreams, within } from '../drain.ts';
import { ExitRequest, start, type Host, type Outcome } from '../run.ts';
import { describe, write } from '../report.ts';
import { settle, type Shared } from '../state.ts';

/** The part of the `Deno` namespace we use, checked by shape before use. */
interface DenoNs {
  exit(code?: number): never;
  exitCode: number;
  pid: number;
  build?: { os?: string };
  addSignalListener(signal: string, handler: () => void): void;
  removeSignalListener(signal: string, handler: () => void): void;
  kill(pid: number, signal: string): void;
  permissions?: { querySync?(descriptor: { name: string; variable?: string }): { state: string } };
  env?: { get(name: string): string | undefined };
}

/** Deno's Node-compatible `process`, when the program also uses it. */
interface NodeProc {
  exit(code?: number): never;
  listenerCount(event: string): number;
  listeners?(event: string): unknown[];
  on?(event: string, listener: (code: number) => void): unknown;
  removeListener?(event: string, listener: (code: number) => void): unknown;
}

interface Target {
  addEventListener(type: string, listener: (event: Event) => void): void;
  removeEventListener(type: string, listener: (event: Event) => void): void;
}

// Signals Deno can listen to that mean "please end". Never SIGSEGV, SIGBUS, SIGFPE, SIGILL,
// SIGPROF, SIGTRAP, SIGUSR1 or SIGPIPE (see node.ts).
const NUMBERS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15, SIGBREAK: 21 };

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
function granted(d: DenoNs, descriptor: { name: string; variable?: string }): boolean {
  try {
    return d.permissions?.querySync?.(descriptor).state === 'granted';
  } catch {
    return false;
  }
}

/** Number of listeners a Node-style program added with `process.on(event)`. */
function nodeListeners(event: string): number {
  try {
    return proc()?.listenerCount(event) ?? 0;
  } catch {
    return 0;
  }
}

/** The real exit functions while handlers run (their stand-ins are in place). */
let guarding: unknown[] | undefined;

export function host(): Host {
  const d = deno();
  let trace: string | undefined;
  if (d && granted(d, { name: 'env', variable: 'NODE_DEBUG' })) {
    try {
      if (/(^|,)\s*(atexit|\*)\s*(,|$)/i.test(d.env?.get('NODE_DEBUG') ?? '')) trace = `ATEXIT ${d.pid}:`;
    } catch {
      // no env access after all
    }
  }
  return {
    trace,
    guard(body) {
      if (guarding) return body(guarding); // a run inside a handler: already guarded
      // Deno's `process.exit` emits 'exit' and then calls `Deno.exit`: replace both, so a
      // handler's `process.exit(n)` neither runs the program's exit listeners early nor exits.
      const holders = [d, proc()].filter((h): h is DenoNs | NodeProc => h !== undefined);
      const saved: [DenoNs | NodeProc, (code?: number) => never][] = [];
      const request = (code?: number): never => {
        throw new ExitRequest(code);
      };
      try {
        for (const h of holders) {
          const real = h.exit;
          h.exit = request;
          saved.push([h, real]);
        }
      } catch {
        // a frozen namespace: what was replaced is restored below; exits are not caught
      }
      guarding = holders.map((h) => saved.find(([held]) => held === h)?.[1] ?? h.exit);
      try {
        return body(guarding);
      } finally {
        guarding = undefined;
        for (const [h, real] of saved) h.exit = real;
      }
    },
  };
}

/** The status the program would end with now. */
export function exitCode(): number {
  try {
    const code = Number(deno()?.exitCode ?? 0);
    return Number.isInteger(code) ? code : 0;
  } catch {
    return 0;
  }
}

/**
 * Calls `then` once what was written to `process.stdout` and `process.stderr` has left the
 * process, or after `ms`. Deno writes synchronously (measured: docs/runtimes.md), so this is
 * for a stream a program replaced; when nothing waits, `then` is called at once.
 */
export function drain(ms: number, then: () => void): void {
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
 * Ends the program now; `undefined` keeps the status it would have had. Through `process.exit`
 * when there is one, so a Node-style program's 'exit' listeners still run.
 */
export function end(code: number | undefined): void {
  const p = proc();
  if (p) p.exit(code);
  else deno()?.exit(code);
}

export function install(s: Shared): () => void {
  const d = deno();
  const t = target();
  if (!d || !t) return () => {};
  const signals = d.build?.os === 'windows' ? ['SIGINT', 'SIGBREAK'] : ['SIGHUP', 'SIGINT', 'SIGTERM'];
  const p = proc();
  /** Set while an uncaught error is ending the program. */
  let dying: { event: Event; error: unknown; promise: boolean } | undefined;

  // After a run: the program ends the way the ending and the handlers decide.
  const after = (outcome: Outcome): void => {
    settle(s);
    if (dying) {
      if (!outcome.exit) return; // Deno prints the error and ends with 1 once the listeners return
      // A handler asked for a status: only exiting from here gives it, and Deno would then not
      // print the error, so print it ourselves, as Deno would.
      dying.event.preventDefault();
      write(`error: Uncaught ${dying.promise ? '(in promise) ' : ''}${describe(dying.error)}`);
      d.exit(outcome.exit.code ?? 1);
    } else if (outcome.exit) {
      end(outcome.exit.code);
    } else if (outcome.late) {
      end(undefined); // work left behind by a stuck handler must not hold the program
    }
  };

  // The loop drained: there is still time to await, but only if we ask Deno to go on
  // (preventDefault), and only while our run waits: Deno fires this again when the loop drains
  // again, and asking every time would never end.
  const onBeforeUnload = (event: Event): void => {
    // Our own run is still waiting, yet nothing is left that could settle it: `unload`
    // follows, and finishes the run synchronously.
    if (s.run) return;
    const run = start(s, host(), { reason: 'natural', code: exitCode() }, true, after);
    if (s.run === run) event.preventDefault();
  };
  // Deno.exit()/process.exit() from normal code, or the end after beforeunload: synchronous.
  // Microtasks queued from here never run. Also process 'exit', which a node:worker_threads
  // worker gets at its natural end (Deno fires neither beforeunload nor unload there), and
  // which comes before unload on process.exit().
  const onUnload = (code = exitCode()): void => {
    let outcome: Outcome;
    if (s.run) {
      outcome = s.run.outcome;
      s.run.flush();
    } else {
      outcome = start(s, host(), { reason: 'exit', code }, false).outcome;
    }
    settle(s);
    if (outcome.exit?.code !== undefined) {
      try {
        // Read once the listeners return: Deno.exitCode after unload, process.exitCode by
        // Deno's process.exit() (which does not see Deno.exitCode).
        d.exitCode = outcome.exit.code;
        const p = proc() as { exitCode?: number } | undefined;
        if (p) p.exitCode = outcome.exit.code;
      } catch {
        // an invalid code: keep the one Deno had
      }
    }
  };
  // An uncaught exception (`error`) or unhandled rejection (`unhandledrejection`). Our listener
  // runs before Deno prints the error; when it returns Deno prints it and ends with status 1,
  // firing neither beforeunload nor unload. A listener that calls preventDefault keeps the
  // program alive: if it ran before ours we see it; a Node-style `process.on('uncaughtException'
  // | 'unhandledRejection')` listener does the same and is counted.
  const onFailure = (event: Event, error: unknown, promise: boolean): void => {
    if (event.defaultPrevented || dying) return;
    if (nodeListeners(promise ? 'unhandledRejection' : 'uncaughtException') > 0) return;
    dying = { event, error, promise };
    if (s.run) s.run.flush();
    else start(s, host(), { reason: 'error', error }, false, after);
  };
  const onError = (event: Event): void => onFailure(event, (event as ErrorEvent).error, false);
  const onRejection = (event: Event): void => onFailure(event, (event as PromiseRejectionEvent).reason, true);

  const onSignal = (signal: string): void => {
    if (s.run) return die(signal); // a second signal while handlers run: stop now
    // The program's own process.on(signal) listener decides; an exit-hook library's does not.
    if (p && programListeners(p, signal, seen.has(signal) ? 1 : 0) > 0) return;
    last = raising(signal);
    const since = performance.now();
    start(s, host(), { reason: 'signal', signal }, true, (outcome) => {
      settle(s);
      const { exit } = outcome;
      drain(within(s.options.deadline, since), () => (exit ? end(exit.code) : die(signal)));
    });
  };
  let last: (() => boolean) | undefined; // set while our run means to re-raise its signal
  const die = (signal: string): void => {
    uninstall();
    if (last && !last()) return; // another copy of atexit still runs for it: that one re-raises
    // Deno.kill needs --allow-run; without it (or where the signal cannot be sent, as on
    // Windows) end with the shell's status for that signal instead of asking for permission.
    if (granted(d, { name: 'run' })) {
      try {
        d.kill(d.pid, signal);
        // Deno goes on running this turn after kill(); the signal ends the process shortly.
        // Keep the loop alive until it does, in case nothing else would.
        setTimeout(() => d.exit(128 + (NUMBERS[signal] ?? 0)), 5_000);
        return;
      } catch {
        // fall through
      }
    }
    d.exit(128 + (NUMBERS[signal] ?? 0));
  };

  const events: [string, (event: Event) => void][] = [
    ['beforeunload', onBeforeUnload],
    ['unload', () => onUnload()],
    ['error', onError],
    ['unhandledrejection', onRejection],
  ];
  const signalListeners: [string, () => void][] = [];
  for (const [type, listener] of events) t.addEventListener(type, listener);
  const onExit = (code: number): void => onUnload(Number(code) | 0);
  try {
    p?.on?.('exit', onExit);
  } catch {
    // a `process` that only looks like Node's
  }
  // Node-style libraries (signal-exit) count process.on(signal) listeners to decide whether
  // they are alone; they cannot see Deno.addSignalListener. A marked listener that does
  // nothing makes us seen, so they wait for our re-raise, as on Node.
  const seen = new Map<string, () => void>();
  for (const signal of signals) {
    const listener = mark(() => {});
    try {
      p?.on?.(signal, listener);
      if (p?.on) seen.set(signal, listener);
    } catch {
      // a signal Deno's process does not have
    }
  }
  for (const signal of signals) {
    const listener = () => onSignal(signal);
    try {
      d.addSignalListener(signal, listener);
      signalListeners.push([signal, listener]);
    } catch {
      // a signal this platform does not have
    }
  }
  let installed = true;
  function uninstall(): void {
    if (!installed) return;
    installed = false;
    for (const [type, listener] of events) t!.removeEventListener(type, listener);
    for (const [event, listener] of [['exit', onExit], ...seen] as const) {
      try {
        p?.removeListener?.(event, listener);
      } catch {
        // as above
      }
    }
    for (const [signal, listener] of signalListeners) {
      try {
        d!.removeSignalListener(signal, listener);
      } catch {
        // already gone
      }
    }
  }
  return uninstall;
}
