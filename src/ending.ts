// How the program ends: the one policy every runtime shares. A runtime adapter notices an event
// (the loop drained, a signal, the runtime exiting, an error that ends the program), tells this
// module, and gets back at most one last act to perform (exit with a status, die by a signal).
// The state lives in `Shared`: idle (no run), running (`s.run`: why, and the exit a handler or
// the program asked for), closing (`s.closing`: the last act is decided and waits for output to
// be written), and ended (the runtime is gone). It reaches the runtime only through contract.ts.
import { raising } from './company.ts';
import type { Act, Adapter, Drains, Ending, Failure, Outcome, Run } from './contract.ts';
import { ExitRequest } from './exit.ts';
import { nameOf, write } from './report.ts';
import { endingOf, start } from './run.ts';
import { release, type Shared } from './state.ts';

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

/** What a run started here does when it ends and no handler asked for an exit. */
type Plan = (outcome: Outcome) => Act;
/** Each run's plan, and when it began: output is waited for within what is left of the deadline. */
const plans = new WeakMap<Run, { plan: Plan; since: number }>();
/**
 * Runs whose ending changed while they ran: a genuine second signal flushed them
 * (secondSignal()), and the program dies by it; or an error nobody handled ended the program
 * while they waited.
 */
const overtaken = new WeakMap<Run, Ending>();

/** Why the program is ending, as it will really end: a later exit request changes the code. */
export function describeEnding(s: Shared, a: Adapter): Ending | undefined {
  const run = s.run;
  if (!run) return undefined;
  return overtaken.get(run) ?? endingOf(run, () => a.status());
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
 * The event loop drained and stayed so (see loopDrained). Returns true when a run now waits, so
 * a runtime that asks for it (Deno's `beforeunload`) keeps the loop going. The promise a run
 * awaits then can never settle (nothing is left that could settle it; the deadline's timer does
 * not count): the run goes on without it, and the loop drains again if a later one cannot
 * settle either.
 */
export function stillDrained(s: Shared, a: Adapter, code = a.status()): boolean {
  if (s.closing) return false;
  const run = s.run;
  if (run?.awaiting) {
    write(`atexit: ${nameOf(run.awaiting)}'s promise can no longer settle (nothing is left in the event loop); going on without it`);
    run.skip();
    return recheck(s, a);
  }
  if (run) {
    run.flush();
    afterRun(s, a, run, plans.get(run));
    return s.closing !== undefined;
  }
  if (s.registry.size === 0) {
    release(s);
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
    release(s);
    return false;
  }
  const revived = hold?.();
  const run = s.run;
  a.added((added) => {
    if (s.run === run && !added && !revived?.()) stillDrained(s, a);
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
    else if (ending.reason === 'error') overtaken.set(run, ending); // the innermost: see secondSignal()
    run.flush(); // synchronously: the program ends right after, no signal is heard meanwhile
    outcome = run.outcome;
  } else {
    outcome = start(s, a.host(), ending, false).outcome; // the deadline only: the program is exiting now
  }
  if (s.closing === 'linger') s.closing = undefined;
  release(s);
  return outcome.exit;
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

/** The last act decided and waiting for output (not the one more turn a run without one stays). */
const decided = (s: Shared): Exclude<Shared['closing'], 'linger'> => (s.closing === 'linger' ? undefined : s.closing);

/**
 * A terminating signal. The program's own listener makes it the program's to handle. A relayed
 * copy of the one that began (or last changed) the ending changes nothing (`relayed`). Otherwise,
 * during a run, waiting stops, the remaining handlers run without waiting, and the program dies
 * by it; while closing the program dies by it once output is out; else (also during the one more
 * turn after a run, which is when a signal sent during synchronous handlers arrives) the handlers
 * registered now run, awaited, and it dies by it.
 */
export function signalled(s: Shared, a: Adapter, signal: string): void {
  const at = performance.now();
  if (a.listens(signal)) return; // handlers run at the real end, whatever the program does now
  const restart = a.restart();
  /* c8 ignore next: Deno's and Bun's watch modes (test/supervisors.test.js) */
  if (restart?.signal === signal) return restarting(s, a, signal, restart.waits);
  const run = s.run;
  const act = decided(s);
  if (run || act) {
    const cause = s.cause;
    if (cause?.signal === signal && relayed(a, cause, at)) return;
    s.cause = { signal, at, copies: 0 };
    if (run) return secondSignal(s, a, run, signal);
    // The last act waits for output to be written (decide()): it becomes this signal, once it is.
    if (act && Object.hasOwn(act, 'kill')) (act as Extract<Act, { kill: string }>).last?.(); // no longer re-raises that one
    s.closing = { kill: signal, last: undefined };
    return;
  }
  const cause = (s.cause = { signal, at, copies: 0 });
  a.shield();
  // Other copies of atexit (any major) may run for the same signal: the last to finish re-raises.
  const last = raising(signal);
  begin(s, a, { reason: 'signal', signal }, true, () => ({ kill: signal, last }));
  // A repeat sent meanwhile is heard only now: the window starts once the synchronous part is
  // done (on Bun a first look at stdout alone may take tens of ms on a busy machine).
  cause.at = performance.now();
}

/**
 * Whether the same signal as the one that began (or last changed) the ending, heard `at`, is a
 * relayed copy of it: possible here, within `WINDOW` of the last one (the window slides: nodemon's
 * copies come each a process spawn apart), and not more than `COPIES` of them.
 */
function relayed(a: Adapter, cause: NonNullable<Shared['cause']>, at: number): boolean {
  const copies = cause.copies | 0; // another copy of atexit may have made it without a count
  if (at - cause.at >= WINDOW || copies >= COPIES || a.relayable() === false) return false;
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
  if (s.run || decided(s)) return;
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
function secondSignal(s: Shared, a: Adapter, run: Run, signal: string): void {
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
  // A later genuine signal during that flush decided already.
  if (decided(s)) return;
  const planned = plans.get(outer);
  // A run begun by another signal no longer re-raises that one: withdraw its claim.
  const act = planned?.plan(outer.outcome);
  if (act && 'kill' in act) act.last?.();
  s.cause = { signal, at: performance.now(), copies: 0 }; // as in signalled(): after the synchronous part
  decide(s, a, { kill: signal, last: undefined }, planned?.since ?? performance.now());
}

function begin(s: Shared, a: Adapter, ending: Ending, wait: boolean, plan: Plan): Run {
  let run: Run | undefined;
  let ended = false; // inside start(): handled once `run` is known
  const started = start(s, a.host(), ending, wait, () => {
    ended = true;
    if (run) afterRun(s, a, run, plans.get(run)); // else it ended inside start(): handled below
  });
  run = started;
  plans.set(started, { plan, since: performance.now() });
  if (started.over && ended) afterRun(s, a, started, plans.get(started));
  return started;
}

/** What output may take before a last act: what is left of the deadline, and at least 1 s. */
const within = (s: Shared, since = performance.now()): number => Math.max(1_000, s.options.deadline - (performance.now() - since));

/**
 * A run ended. An exit that a handler (or the program) asked for during the run is performed at
 * once, as `process.exit()` itself would be; otherwise the plan decides.
 */
function afterRun(s: Shared, a: Adapter, run: Run, planned: { plan: Plan; since: number } | undefined): void {
  const { exit } = run.outcome;
  if (exit) {
    release(s);
    // Inside a handler's runExitFuncs() this is that handler's SystemExit (the stand-in throws).
    if (run.outer) return a.exit(exit.code);
    // Synchronous unless a handler's output still waits to go out.
    return a.afterOutput(within(s, planned?.since), () => a.exit(exit.code));
  }
  const act = planned?.plan(run.outcome);
  if (act) decide(s, a, act, planned!.since);
  else listenOneMoreTurn(s, a);
}

/**
 * No last act: the program goes on or ends by itself. The listeners stay one more turn, so that
 * a signal which came while synchronous handlers ran is heard (and ends the program) before
 * they go.
 */
function listenOneMoreTurn(s: Shared, a: Adapter): void {
  if (s.closing || s.registry.size > 0 || s.run) return release(s);
  s.closing = 'linger';
  a.later(() => {
    if (s.closing === 'linger') s.closing = undefined;
    release(s);
  });
}

/**
 * The last act is decided: performed once stdout and stderr have drained (within what is left of
 * the deadline of a run begun `since`), and one more turn later (a pending signal is heard).
 */
function decide(s: Shared, a: Adapter, act: NonNullable<Act>, since: number): void {
  s.closing = act;
  a.afterOutput(within(s, since), () => a.later(() => perform(s, a)));
}

function perform(s: Shared, a: Adapter): void {
  const act = decided(s);
  if (!act) return;
  s.closing = undefined;
  release(s);
  // A runtime ends here; a page stays as it is (and may be ended again later).
  // An own `kill`: `in` would also see one on a polluted Object.prototype.
  if (!Object.hasOwn(act, 'kill')) return a.exit((act as Extract<Act, { exit: unknown }>).exit);
  const { kill, last } = act as Extract<Act, { kill: string }>;
  // The signal must find the runtime's default action, not our listeners, even if handlers
  // were registered meanwhile.
  const { uninstall } = s;
  s.uninstall = undefined;
  uninstall?.();
  if (last?.() === false) return; // another copy still runs for this signal: it re-raises
  reraise(a, kill);
}

/** How long a re-raise still on its way may take to end the program (ms). */
const ON_ITS_WAY = 1_000;

/**
 * Dies by `signal` through the runtime's default action. Where that cannot happen (a re-raise
 * unsafe or impossible here, the kernel dropping it for PID 1, a signal the process ignores),
 * the program ends as a shell reports a death by that signal: 128 + its number. A re-raise still
 * on its way gets `ON_ITS_WAY` first, the timer keeping the program alive for it.
 */
function reraise(a: Adapter, signal: string): void {
  const end = (): void => a.exit(128 + (a.signals()[signal] ?? 0));
  if (a.unsafeKill() || !a.kill(signal) || !a.inFlight(signal)) return end();
  setTimeout(end, ON_ITS_WAY);
}
