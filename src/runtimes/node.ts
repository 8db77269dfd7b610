// Node.js, Bun, and Node-style programs: `process` events and signals.
import { mark, programListeners, raising } from '../company.ts';
import { drainStreams, within } from '../drain.ts';
import { ExitRequest, start, type Host, type Outcome } from '../run.ts';
import { settle, type Ending, type Shared } from '../state.ts';

/** The part of `process` we use, checked by shape before use. */
interface Proc {
  prependListener(event: string, listener: (...args: never[]) => void): unknown;
  removeListener(event: string, listener: (...args: never[]) => void): unknown;
  listenerCount(event: string): number;
  listeners?(event: string): unknown[];
  kill(pid: number, signal: string): unknown;
  exit(code?: number): never;
  exitCode?: number | string | undefined;
  pid: number;
  platform?: string;
  env?: Record<string, string | undefined>;
}

function proc(): Proc | undefined {
  try {
    const p = (globalThis as unknown as { process?: Record<string, unknown> }).process;
    const ok = p && ['prependListener', 'removeListener', 'listenerCount', 'kill', 'exit'].every((name) => typeof p[name] === 'function');
    return ok ? (p as unknown as Proc) : undefined;
  } catch {
    return undefined; // a hostile `process`: as if there were none
  }
}

/** The real exit functions while handlers run (their stand-ins are in place). */
let guarding: unknown[] | undefined;

export function host(): Host {
  const p = proc();
  let trace: string | undefined;
  try {
    if (/(^|,)\s*(atexit|\*)\s*(,|$)/i.test(p?.env?.NODE_DEBUG ?? '')) trace = `ATEXIT ${p!.pid}:`;
    /* c8 ignore next 3: Deno's process.env without --allow-env */
  } catch {
    // env may be guarded (Deno without --allow-env)
  }
  return {
    trace,
    guard(body) {
      if (guarding) return body(guarding); // a run inside a handler: already guarded
      const real = p?.exit;
      try {
        p!.exit = (code) => {
          throw new ExitRequest(code);
        };
      } catch {
        return body([real]); // no process, or a frozen one: exits cannot be caught
      }
      guarding = [real];
      try {
        return body(guarding);
      } finally {
        guarding = undefined;
        p!.exit = real!;
      }
    },
  };
}

/** True when `signal` has a listener; never throws. */
function listening(p: Proc, signal: string): boolean {
  try {
    return p.listenerCount(signal) > 0;
  } catch {
    return false;
  }
}

/** The status the program would end with now. */
export function exitCode(): number {
  return Number(proc()?.exitCode) | 0;
}

/**
 * Calls `then` once what was written to stdout and stderr has left the process, or after `ms`;
 * at once when nothing waits. For the ends atexit decides: Node and Bun write to pipes
 * asynchronously.
 */
export function drain(ms: number, then: () => void): void {
  let streams: unknown[] = [];
  try {
    const p = proc() as Proc & { stdout: object; stderr: object };
    streams = [p.stdout, p.stderr];
    if (isBun(p)) streams = streams.map((stream) => bunSink(stream as object));
  } catch {
    // no process, or a stdout getter that throws
  }
  drainStreams(streams, ms, then);
}

/**
 * Bun 1.x keeps what a write to a pipe could not send yet in a native sink behind the stream
 * and says nothing of it through the stream (writableLength stays 0, an empty write's callback
 * comes at once). The sink's flush() returns a promise for it: an internal of Bun, found by name.
 */
/* c8 ignore next 4: Bun only (tested in the runtime matrix) */
const bunSink = (stream: object): unknown => {
  const key = Object.getOwnPropertySymbols(stream).find((k) => k.description === 'kWriteStreamFastPath');
  return key ? (stream as Record<symbol, unknown>)[key] : stream;
};

/** Ends the program now; `undefined` keeps the status it would have had. */
export function end(code: number | undefined): void {
  const p = proc();
  if (code === undefined) p?.exit(); // exit(undefined) would reset exitCode
  else p?.exit(code);
}

// Bun 1.x quirks, measured in docs/runtimes.md. Bun tells an unhandled rejection neither to
// 'uncaughtExceptionMonitor' nor through the 'exit' code (0, though it ends with 1). Such an
// 'exit' has no 'beforeExit' before it and no process.exit() on its stack: that tells it apart.
const isBun = (p: Proc): boolean => typeof (p as { versions?: { bun?: unknown } }).versions?.bun === 'string';
/* c8 ignore start: Bun only (tested in the runtime matrix) */
function bunRejected(p: Proc): boolean {
  if (!isBun(p)) return false;
  const limit = Error.stackTraceLimit;
  try {
    Error.stackTraceLimit = 50;
    return !/\n\s*at exit \(/.test(new Error().stack ?? '');
  } catch {
    return false;
  } finally {
    Error.stackTraceLimit = limit;
  }
}
/* c8 ignore stop */

export function install(s: Shared): () => void {
  const p = proc();
  if (!p) return () => {};
  // SIGBREAK is Ctrl+Break on Windows, where SIGTERM never arrives. Never SIGSEGV, SIGBUS,
  // SIGFPE, SIGILL (listening to a real fault loops forever), SIGPROF, SIGTRAP (profilers,
  // debuggers), SIGUSR1 (the inspector) or SIGPIPE (ignored by default; not an ending).
  const signals = ['SIGHUP', 'SIGINT', p.platform === 'win32' ? 'SIGBREAK' : 'SIGTERM'];
  let failure: { error: unknown } | undefined;
  let drained = false; // 'beforeExit' came (Bun quirk below)
  let last: (() => boolean) | undefined; // set while our run means to re-raise its signal

  /** Performs the last act once output is drained, within the deadline of a run begun `since`. */
  const flushThen = (since: number, act: () => void): void => drain(within(s.options.deadline, since), act);
  /** Runs the handlers, awaiting; then ends as asked by a handler, or as `otherwise` says. */
  const runThenEnd = (ending: Ending, otherwise: (outcome: Outcome, since: number) => void): void => {
    const since = performance.now();
    start(s, host(), ending, true, (outcome) => {
      settle(s);
      const { exit } = outcome;
      if (exit) flushThen(since, () => end(exit.code));
      else otherwise(outcome, since);
    });
  };
  const die = (signal: string): void => {
    uninstall();
    if (last && !last()) return; // another copy of atexit still runs for it: that one re-raises
    // Another library still listens (signal-exit waits for this re-raise to run its own
    // handlers, then re-raises it once more). Node reads signals on the event loop: keep it
    // alive until the signal comes, or the program would end first, by status 0.
    if (listening(p, signal)) setTimeout(() => {}, 1_000);
    try {
      p.kill(p.pid, signal);
      /* c8 ignore next 4: Windows */
    } catch {
      // Windows cannot send SIGHUP to itself: end with the shell's status for it instead.
      p.exit(128 + ({ SIGHUP: 1, SIGINT: 2 }[signal] ?? 21));
    }
  };

  const listeners: [string, (arg: never) => void][] = [
    ['uncaughtExceptionMonitor', (error: unknown) => (failure = { error })],
    // The loop drained: there is still time to await.
    [
      'beforeExit',
      () => {
        drained = true;
        if (!s.run) runThenEnd({ reason: 'natural', code: exitCode() }, (outcome, since) => outcome.late && flushThen(since, () => p.exit()));
      },
    ],
    // process.exit(), an uncaught error, or the end after beforeExit: synchronous from here on.
    [
      'exit',
      (code: number) => {
        let run = s.run;
        if (run) {
          // An exit during our own async run (a handler's awaited part, or other code).
          run.outcome.exit = new ExitRequest(code);
          run.flush();
        } else {
          if (!failure && !drained && bunRejected(p)) failure = { error: undefined };
          run = start(s, host(), failure ? { reason: 'error', ...failure } : { reason: 'exit', code }, false);
        }
        try {
          if (run.outcome.exit?.code !== undefined) p.exitCode = run.outcome.exit.code;
        } catch {
          // an invalid code: keep the one the runtime had
        }
        settle(s);
        // Bun ignores an exitCode set here after an uncaught error: only exit() gives the status.
        if (failure && isBun(p) && run.outcome.exit?.code !== undefined) p.exit(run.outcome.exit.code);
      },
    ],
    ...signals.map((signal): [string, () => void] => [
      signal,
      mark(
        () => {
          if (s.run) return die(signal); // a second signal while handlers run: stop now
          // The program has its own listener: it decides, and handlers run at the real end.
          if (programListeners(p, signal, 1) > 0) return;
          last = raising(signal);
          runThenEnd({ reason: 'signal', signal }, (_, since) => flushThen(since, () => die(signal)));
        },
      ),
    ]),
  ];
  // First in line, as the newest registration: a program's own 'exit' listener that calls
  // process.exit() would otherwise end the program before our handlers run.
  // A `process` whose methods throw: handlers then run only through runExitFuncs().
  const each = (method: 'prependListener' | 'removeListener'): void => {
    for (const [event, listener] of listeners) {
      try {
        p[method](event, listener);
      } catch {
        // go on with the others
      }
    }
  };
  each('prependListener');
  let installed = true;
  function uninstall(): void {
    if (installed) each('removeListener');
    installed = false;
  }
  return uninstall;
}
