// How the program ends: the one policy every runtime shares. A runtime adapter notices an event
// (the loop drained, a signal, the runtime exiting, an error that ends the program), tells this
// module, and gets back at most one last act to perform (exit with a status, die by a signal).
// The state lives in `Shared`: idle (no run), running (`s.run`: why, and the exit a handler or
// the program asked for), closing (`s.closing`: the last act is decided and waits for output to
// drain), and ended (the runtime is gone).
import { raising } from './company.ts';
import { describeValue, nameOf, write } from './report.ts';
import { ExitRequest, start, type Host, type Outcome, type Run } from './run.ts';
import { settle, type Ending, type Shared } from './state.ts';
import { meant } from './signals.ts';

/**
 * Where a relay is possible (Adapter.relayable), how long the same signal again may be a relayed
 * copy of the one before (ms), from the last one heard (or from the moment the ending it began
 * could hear signals again, its synchronous handlers done). A terminal's Ctrl+C reaches every
 * process of its group, and a supervisor in that group forwards it again: `node --watch` and
 * `tsx watch` within 30 ms, nodemon and concurrently (which list the process tree first) up to
 * 190 ms apart on a busy machine. Nothing waits for this window: it only sorts the signals that
 * come during an ending.
 */
export const WINDOW = 300;
/**
 * At most this many copies follow one request: nodemon's Ctrl+C comes as three SIGINTs (the
 * terminal's, then two of its own). One more is a person's next press, whenever it comes.
 */
export const COPIES = 2;

/** What a runtime adapter lends to the policy. */
export interface Adapter {
  host(): Host;
  /** The status the program would end with now. */
  status(): number;
  /**
   * Whether the program itself listens to `signal`; then a signal is the program's to handle.
   * Listeners of atexit and of other exit-hook libraries do not count.
   */
  listens(signal: string): boolean;
  /**
   * Calls `then` once what was written to stdout and stderr is out, or after `ms`; at once,
   * synchronously, when nothing waits (so an exit stays synchronous). Never throws.
   */
  drain(ms: number, then: () => void): void;
  /** Calls `fn` on a later turn of the event loop, once a signal that came meanwhile was heard. */
  later(fn: () => void): void;
  /** The last acts. `exit(undefined)` keeps the status the program would have had. */
  exit(code: number | undefined): void;
  /**
   * Re-raises `signal` (our listeners are gone) so that the runtime's default action ends the
   * program. When it does not (PID 1 in a PID namespace, where the kernel drops it; a signal
   * the process ignores; a runtime that cannot send it), calls `survived` once, as soon as
   * that is known.
   */
  kill(signal: string, survived: () => void): void;
  /**
   * Whether one signal may reach the program twice: a parent in its process group (a supervisor,
   * a watcher) can forward a signal the terminal sent to the whole group. False only where the
   * runtime can tell that the program leads its own group (a job-control shell starts it so);
   * true where it cannot (no /proc, no permission to read it).
   */
  relayable?(): boolean;
  /** The signals this runtime can listen to, by name, with their numbers. */
  signals(): Readonly<Record<string, number>>;
  /** A signal the runtime uses for something else now (Node's `--heapsnapshot-signal`), if any. */
  reserved(): string | undefined;
  /** How the runtime's watch mode asks the program to end before it restarts it in-process, if it runs under one. */
  restart?(): Restart | undefined;
  /**
   * From now on an error stdout or stderr emits (EPIPE: the reader went away) is taken, so what
   * a handler writes cannot crash the ending or change its status. Never throws.
   */
  shield(): void;
}

/** An adapter that hears the event loop drain (Node's `beforeExit`, Deno's `beforeunload`). */
export interface Drains extends Adapter {
  /**
   * Calls `fn` on a later turn of the event loop with whether the program added to what keeps
   * the loop going (a timer, a socket) since this call; false where the runtime cannot tell.
   */
  added(fn: (added: boolean) => void): void;
}

/**
 * A watch mode that restarts the program inside its own process (`deno run --watch`, `bun
 * --watch`) raises a signal to the program's listeners first, indistinguishable from the real
 * one (docs/runtimes.md). Deno then waits (500 ms at most) for the program to end and restarts
 * it once it does; Bun restarts it as soon as the listeners return, before any promise settles.
 */
export interface Restart {
  signal: string;
  waits: boolean;
}

/** Signals that are endings unless the runtime lacks them or uses one for something else. */
const DEFAULT_SIGNALS = ['SIGHUP', 'SIGINT', 'SIGTERM', 'SIGUSR2', 'SIGBREAK'];

/** Signals atexit never listens to, and why. */
const FAULT = 'a fault: a listener would return to the faulting code and loop forever';
const REFUSED: Record<string, string> = {
  SIGKILL: 'it cannot be caught',
  SIGSTOP: 'it cannot be caught',
  SIGSEGV: FAULT,
  SIGBUS: FAULT,
  SIGFPE: FAULT,
  SIGILL: FAULT,
  SIGUSR1: 'it starts the inspector (the debugger)',
  SIGPIPE: 'a broken pipe is not an ending (the runtime ignores it)',
  SIGPROF: 'profilers use it',
  SIGTRAP: 'debuggers use it',
};

/** The signals atexit treats as endings now: the configured list, or the platform's defaults. */
export function listened(s: Shared, a: Adapter): string[] {
  const chosen = s.options.signals;
  if (chosen) return [...chosen];
  const known = a.signals();
  const reserved = a.reserved();
  // Windows (where SIGBREAK is Ctrl+Break) never delivers SIGTERM.
  const windows = Object.hasOwn(known, 'SIGBREAK');
  return DEFAULT_SIGNALS.filter((signal) => Object.hasOwn(known, signal) && signal !== reserved && !(windows && signal === 'SIGTERM'));
}

/** Checks `configure({ signals })`: an array of names the runtime knows and atexit may take. */
export function checkSignals(value: unknown, a: Adapter): string[] {
  if (!Array.isArray(value) || !value.every((name) => typeof name === 'string')) {
    throw new TypeError('atexit.configure: signals must be an array of signal names, such as ["SIGINT", "SIGTERM", "SIGQUIT"]');
  }
  const known = a.signals();
  for (const name of value as string[]) {
    if (Object.hasOwn(REFUSED, name)) throw new TypeError(`atexit.configure: signals cannot include ${name}: ${REFUSED[name]}`);
    if (!Object.hasOwn(known, name)) throw new TypeError(`atexit.configure: unknown signal ${JSON.stringify(name)} (not a signal this runtime knows${((m) => (m ? `; did you mean "${m}"?` : ''))(meant(name, Object.keys(known)))})`);
  }
  return [...new Set(value as string[])];
}

/**
 * A decided last act; `undefined` lets the program go on (or end by itself). `last`, on a kill
 * after a run, withdraws this copy's claim to re-raise and says whether it is the last one
 * running for that signal (see company.ts).
 */
export type Act = { exit: number | undefined } | { kill: string; last: (() => boolean) | undefined } | undefined;

/** What a run started here does when it ends and no handler asked for an exit. */
type Plan = (outcome: Outcome) => Act;
/** Each run's plan, and when it began: output drains within what is left of the deadline. */
const plans = new WeakMap<Run, { plan: Plan; since: number }>();
/**
 * Runs whose ending changed while they ran: a genuine second signal flushed them (cut()), and
 * the program dies by it; or an error nobody handled ended the program while they waited.
 */
const overtaken = new WeakMap<Run, Ending>();

/**
 * Checks an exit status the way the runtimes do, before anything happens: an integer (a string
 * of digits for `process.exit`, as Node takes it), or nothing for "the status it would have".
 */
export function checkCode(code: unknown, who: string, strings = false): number | undefined {
  if (code === undefined || (strings && code === null)) return undefined;
  const value = strings && typeof code === 'string' && /^\s*-?\d+\s*$/.test(code) ? Number(code) : code;
  if (typeof value !== 'number') throw new TypeError(`${who}: the exit code must be an integer, got ${describeValue(code)}`);
  if (!Number.isSafeInteger(value)) throw new RangeError(`${who}: the exit code must be an integer, got ${describeValue(value)}`);
  return value;
}

/** Why the program is ending, as it will really end: a later exit request changes the code. */
export function describeEnding(s: Shared, a: Adapter): Ending | undefined {
  const run = s.run;
  if (!run) return undefined;
  const changed = overtaken.get(run);
  if (changed) return changed;
  const { ending } = run;
  const exit = run.outcome.exit;
  if (exit && (ending.reason === 'exit' || ending.reason === 'natural')) {
    const code = exit.code ?? a.status();
    if (code !== ending.code) return { reason: ending.reason, code };
  }
  return ending;
}

/** `atexit.exit(code)`: a run that awaits, then the program ends with `code`. */
export function request(s: Shared, a: Adapter, code: number | undefined): void {
  if (s.run) {
    // Asked again while handlers run (inside one, or from other code): the last request wins.
    s.run.outcome.exit = new ExitRequest(code);
    return;
  }
  s.cause = undefined;
  a.shield();
  begin(s, a, { reason: 'exit', code: code ?? a.status() }, true, () => ({ exit: code }));
}

/** `runExitFuncs()`: a run that awaits; the program goes on unless a handler asked to exit. */
export function manual(s: Shared, a: Adapter): Run {
  return begin(s, a, { reason: 'manual' }, true, () => undefined);
}

/**
 * The event loop drained. Returns true when a run now waits, so a runtime that asks for it
 * (Deno's `beforeunload`) keeps the loop going. The promise a run awaits then can never settle
 * (nothing is left that could settle it; the deadline's timer does not count): the run goes on
 * without it, and the loop drains again if a later one cannot settle either.
 */
export function drained(s: Shared, a: Adapter, code = a.status()): boolean {
  if (s.closing) return false;
  const run = s.run;
  if (run?.awaiting) {
    write(`atexit: ${nameOf(run.awaiting)}'s promise can no longer settle (nothing is left in the event loop); going on without it`);
    run.skip();
    return recheck(s, a);
  }
  if (run) {
    run.flush();
    conclude(s, a, run, plans.get(run));
    return s.closing !== undefined;
  }
  if (s.registry.size === 0) {
    settle(s);
    return false;
  }
  s.cause = undefined;
  a.shield();
  begin(s, a, { reason: 'natural', code }, true, (outcome) => (outcome.late ? { exit: undefined } : undefined));
  return recheck(s, a);
}

/**
 * The event loop drained (Node's `beforeExit`, Deno's `beforeunload`), and the program's own
 * listeners of that event, after ours, may schedule more work. With nothing registered, running
 * or closing there is nothing to wait for. Else it is decided on a later turn (the adapter's
 * `added`), once they and what they queued have run: if they added to the loop (or, where the
 * runtime asks its listeners whether to go on, one after ours asked: `hold` asks for us and
 * returns whether another did), the loop is alive for it and drains again once it is done. A
 * run they began (atexit.exit()) is theirs: it ends by itself, or the loop drains again. Returns
 * whether that turn is awaited.
 */
export function loopDrained(s: Shared, a: Drains, hold?: () => () => boolean): boolean {
  if (s.registry.size === 0 && !s.run && !s.closing) {
    settle(s);
    return false;
  }
  const revived = hold?.();
  const run = s.run;
  a.added((added) => {
    if (s.run === run && !added && !revived?.()) drained(s, a);
  });
  return true;
}

/**
 * A run that now awaits gets one more turn of the loop: a runtime that says the loop drained
 * only when something ran since (Node's `beforeExit`) says it again if nothing else is left.
 */
function recheck(s: Shared, a: Adapter): boolean {
  if (s.run?.awaiting) a.later(() => {});
  return s.run !== undefined || s.closing !== undefined;
}

/**
 * The runtime ends the program now, synchronously (`process.exit()` from other code, an error
 * nobody handles, the end after the last drain, a page going away). What is left runs without
 * waiting. Returns the exit a handler asked for, if any: the adapter makes it the status.
 */
export function exiting(s: Shared, a: Adapter, ending: Ending): ExitRequest | undefined {
  a.shield();
  let outcome: Outcome;
  const run = s.run;
  if (run) {
    // The program exits while our run waits (a handler's awaited part, or other code).
    if (ending.reason === 'exit') run.outcome.exit = new ExitRequest(ending.code);
    // The status is now the error's: the handlers left, run now, are told so.
    else if (ending.reason === 'error') overtaken.set(run, ending); // the innermost: see cut()
    run.flush(); // synchronously: the program ends right after, no signal is heard meanwhile
    outcome = run.outcome;
  } else {
    outcome = start(s, a.host(), ending, false).outcome; // the deadline only: the program is exiting now
  }
  if (s.closing === 'linger') s.closing = undefined;
  settle(s);
  return outcome.exit;
}

/** What an adapter lends for an error that ends the program unless a listener handles it. */
export interface Failure {
  /**
   * Asks the runtime not to end the program for it yet, and calls `then` on a later turn, once
   * every listener had it, with whether one of the program's handled it.
   */
  hold(then: (handled: boolean) => void): void;
  /** Hands it back to the runtime, which reports it and ends the program as it would have. */
  raise(): void;
  /** Reports it as the runtime would have, and ends the program with `code` now. */
  end(code: number): void;
}

/**
 * Errors that end the program when their listeners return (Deno's `error` and
 * `unhandledrejection`): returns what the adapter calls with each that no listener of the
 * program's handled by then. One handled later is no ending. Otherwise the handlers run
 * (without waiting: the runtime ends the program once its listeners return), and the runtime
 * reports it and ends as it would have, unless a handler asked for a status: only exiting here
 * gives that, and the runtime then would not report the error, so the adapter does. Once one
 * error is the ending, those after it are the runtime's.
 */
export function failures(s: Shared, a: Adapter): (error: unknown, f: Failure) => void {
  let dying = false;
  return (error, f) => {
    if (dying) return;
    f.hold((handled) => {
      if (handled || dying) return;
      dying = true;
      const asked = exiting(s, a, { reason: 'error', error });
      if (!asked) return f.raise();
      f.end(asked.code ?? 1); // an exit with no code keeps the status the error had: 1
    });
  };
}

/**
 * A terminating signal. The program's own listener makes it the program's to handle. A relayed
 * copy of the one that began (or last changed) the ending changes nothing (`relayed`). Otherwise,
 * during a run, waiting stops, the remaining handlers run without waiting, and the program dies
 * by it; while closing the program dies by it once output is out; else (also while lingering after a run, which is when a signal sent during
 * synchronous handlers arrives) the handlers registered now run, awaited, and it dies by it.
 */
export function signalled(s: Shared, a: Adapter, signal: string): void {
  const at = performance.now();
  if (a.listens(signal)) return; // handlers run at the real end, whatever the program does now
  const restart = a.restart?.();
  /* c8 ignore next: Deno's and Bun's watch modes (test/supervisors.test.js) */
  if (restart?.signal === signal) return restarting(s, a, signal, restart.waits);
  const run = s.run;
  if (run || (s.closing && s.closing !== 'linger')) {
    const cause = s.cause;
    if (cause?.signal === signal && relayed(a, cause, at)) return;
    s.cause = { signal, at, copies: 0 };
    if (run) return cut(s, a, run, signal);
    // The last act waits for output to drain (close()): it becomes this signal, once that is out.
    const before = s.closing;
    if (before && before !== 'linger' && Object.hasOwn(before, 'kill')) (before as Extract<Act, { kill: string }>).last?.(); // no longer re-raises that one
    s.closing = { kill: signal, last: undefined };
    return;
  }
  const cause = (s.cause = { signal, at, copies: 0 });
  a.shield();
  // Other copies of atexit (any major) may run for the same signal: the last to finish re-raises.
  const last = raising(signal);
  begin(s, a, { reason: 'signal', signal }, true, () => ({ kill: signal, last }));
  // A repeat sent meanwhile is heard only now: the window starts once the synchronous part is
  // done (measured on Bun: a first look at stdout alone takes 50-85 ms on a busy machine).
  cause.at = performance.now();
}

/**
 * Whether the same signal as the one that began (or last changed) the ending, heard `at`, is a
 * relayed copy of it: possible here, within `WINDOW` of the last one (the window slides: nodemon's
 * copies come each a process spawn apart), and not more than `COPIES` of them.
 */
function relayed(a: Adapter, cause: NonNullable<Shared['cause']>, at: number): boolean {
  const copies = cause.copies | 0; // another copy of atexit may have made it without a count
  if (at - cause.at >= WINDOW || copies >= COPIES || a.relayable?.() === false) return false;
  cause.at = at;
  cause.copies = copies + 1;
  return true;
}

/**
 * The watcher's request to end before a restart. A restart is a signal ending as `ending()`
 * reports it (the runtime gives no other sign), but its last act must leave the process, which
 * is the watcher's too, alive: a run that the watcher waits for ends the program with 128 + n
 * (Deno's `Deno.exit()` under --watch ends the program, not the process); one it does not wait
 * for runs every handler now, and if the process is still there a turn later (a real signal
 * after all), it dies by it. During a run or a closing it changes nothing: Deno raises it just
 * after the SIGINT of a Ctrl+C it relays, and waits for the ending under way.
 */
/* c8 ignore next 8: as above */
function restarting(s: Shared, a: Adapter, signal: string, waits: boolean): void {
  if (s.run || (s.closing && s.closing !== 'linger')) return;
  const cause = (s.cause = { signal, at: performance.now(), copies: 0 });
  a.shield();
  const code = 128 + (a.signals()[signal] ?? 0);
  begin(s, a, { reason: 'signal', signal }, waits, () => (waits ? { exit: code } : { kill: signal, last: undefined }));
  cause.at = performance.now();
}

/**
 * A genuine second signal while handlers run: what every run still holds runs now, without
 * waiting, and the program then dies by that signal once output is out.
 */
function cut(s: Shared, a: Adapter, run: Run, signal: string): void {
  const name = run.awaiting && nameOf(run.awaiting);
  write(`atexit: a second ${signal}: ${name ? `not awaiting ${name}; ` : ''}the remaining handlers run without waiting`);
  let outer = run;
  while (outer.outer) outer = outer.outer;
  // The innermost run is the one left to call handlers: a run a handler began (runExitFuncs())
  // drains every registration, so the runs around it have none left once it ends.
  overtaken.set(run, { reason: 'signal', signal });
  // Innermost first: a run started by a handler ends before the one around it.
  for (let inner = s.run; inner && !inner.over; inner = s.run) {
    inner.flush();
    if (!inner.over) break; // cannot happen: a flushed run ends inside flush()
  }
  // A later genuine signal during that flush (a SIGINT that stopped a spinning handler) decided.
  if (s.closing && s.closing !== 'linger') return;
  const planned = plans.get(outer);
  // A run begun by another signal no longer re-raises that one: withdraw its claim.
  const act = planned?.plan(outer.outcome);
  if (act && 'kill' in act) act.last?.();
  s.cause = { signal, at: performance.now(), copies: 0 }; // as in signalled(): after the synchronous part
  close(s, a, { kill: signal, last: undefined }, planned?.since ?? performance.now());
}

function begin(s: Shared, a: Adapter, ending: Ending, wait: boolean, plan: Plan): Run {
  let run: Run | undefined;
  let ended = false; // inside start(): concluded once `run` is known
  const started = start(s, a.host(), ending, wait, () => {
    ended = true;
    if (run) conclude(s, a, run, plans.get(run)); // else it ended inside start(): concluded below
  });
  run = started;
  plans.set(started, { plan, since: performance.now() });
  if (started.over && ended) conclude(s, a, started, plans.get(started));
  return started;
}

/** What output may take before a last act: what is left of the deadline, and at least 1 s. */
const within = (s: Shared, since = performance.now()): number => Math.max(1_000, s.options.deadline - (performance.now() - since));

/**
 * A run ended. An exit that a handler (or the program) asked for during the run is performed at
 * once, as `process.exit()` itself would be; otherwise the plan decides.
 */
function conclude(s: Shared, a: Adapter, run: Run, planned: { plan: Plan; since: number } | undefined): void {
  const { exit } = run.outcome;
  if (exit) {
    settle(s);
    // Inside a handler's runExitFuncs() this is that handler's SystemExit (the stand-in throws).
    if (run.outer) return a.exit(exit.code);
    // Synchronous unless a handler's output still waits to go out.
    return a.drain(within(s, planned?.since), () => a.exit(exit.code));
  }
  const act = planned?.plan(run.outcome);
  if (act) close(s, a, act, planned!.since);
  else linger(s, a);
}

/**
 * No last act: the program goes on or ends by itself. The listeners stay one more turn, so that
 * a signal which came while synchronous handlers ran is heard (and ends the program) before
 * they go.
 */
function linger(s: Shared, a: Adapter): void {
  if (s.closing || s.registry.size > 0 || s.run) return settle(s);
  s.closing = 'linger';
  a.later(() => {
    if (s.closing === 'linger') s.closing = undefined;
    settle(s);
  });
}

/**
 * The last act is decided: once stdout and stderr have drained (within what is left of the
 * deadline of a run begun `since`), and one more turn later (a pending signal is heard).
 */
function close(s: Shared, a: Adapter, act: NonNullable<Act>, since: number): void {
  s.closing = act;
  a.drain(within(s, since), () => a.later(() => final(s, a)));
}

function final(s: Shared, a: Adapter): void {
  const act = s.closing;
  if (!act || act === 'linger') return;
  s.closing = undefined;
  settle(s);
  // A runtime ends here; a page stays as it is (and may be ended again later).
  // An own `kill`: `in` would also see one on a polluted Object.prototype.
  if (Object.hasOwn(act, 'kill')) {
    const { kill, last } = act as Extract<Act, { kill: string }>;
    // The signal must find the runtime's default action, not our listeners, even if handlers
    // were registered meanwhile.
    const { uninstall } = s;
    s.uninstall = undefined;
    uninstall?.();
    if (last?.() === false) return; // another copy still runs for this signal: it re-raises
    // The re-raise did not end the program (PID 1, an ignored signal): end as a shell reports it.
    a.kill(kill, () => a.exit(128 + (a.signals()[kill] ?? 0)));
  } else {
    a.exit((act as Extract<Act, { exit: unknown }>).exit);
  }
}
