// Node.js, Bun, and Node-style programs: `process` events and signals.
import { ExitRequest, start, type Host } from '../run.ts';
import { settle, type Ending, type Shared } from '../state.ts';

/** The part of `process` we use, checked by shape before use. */
interface Proc {
  on(event: string, listener: (...args: never[]) => void): unknown;
  removeListener(event: string, listener: (...args: never[]) => void): unknown;
  listenerCount(event: string): number;
  kill(pid: number, signal: string): unknown;
  exit(code?: number): never;
  exitCode?: number | string | undefined;
  pid: number;
  platform?: string;
  env?: Record<string, string | undefined>;
}

// SIGBREAK is Ctrl+Break on Windows. Never SIGSEGV, SIGBUS, SIGFPE, SIGILL (listening to a
// real fault loops forever), SIGPROF, SIGTRAP (profilers, debuggers), SIGUSR1 (the
// inspector) or SIGPIPE (ignored by default, and not an ending).
const NUMBERS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15, SIGBREAK: 21 };

function proc(): Proc | undefined {
  const p = (globalThis as unknown as { process?: Partial<Proc> }).process;
  if (
    typeof p === 'object' && p !== null &&
    typeof p.on === 'function' && typeof p.removeListener === 'function' && typeof p.listenerCount === 'function' &&
    typeof p.kill === 'function' && typeof p.exit === 'function' && typeof p.pid === 'number'
  ) {
    return p as Proc;
  }
  return undefined;
}

export function host(): Host {
  const p = proc();
  let trace: string | undefined;
  try {
    if (p && /(^|,)\s*(atexit|\*)\s*(,|$)/i.test(p.env?.NODE_DEBUG ?? '')) trace = `ATEXIT ${p.pid}:`;
  } catch {
    // env may be guarded (Deno without --allow-env)
  }
  return {
    trace,
    guard(call) {
      if (!p) return call();
      const real = p.exit;
      try {
        p.exit = (code?: number) => {
          throw new ExitRequest(code);
        };
      } catch {
        return call(); // a frozen process: exits cannot be caught
      }
      try {
        return call();
      } finally {
        p.exit = real;
      }
    },
  };
}

/** The status the program would end with now. */
export function exitCode(): number {
  const code = Number(proc()?.exitCode ?? 0);
  return Number.isInteger(code) ? code : 0;
}

/** Ends the program now; `undefined` keeps the status it would have had. */
export function end(code: number | undefined): void {
  proc()?.exit(code);
}

export function install(s: Shared): () => void {
  const p = proc();
  if (!p) return () => {};
  const signals = p.platform === 'win32' ? ['SIGHUP', 'SIGINT', 'SIGBREAK'] : ['SIGHUP', 'SIGINT', 'SIGTERM'];
  let failure: { error: unknown } | undefined;

  const onError = (error: unknown): void => {
    failure = { error };
  };
  // The loop drained: there is still time to await.
  const onBeforeExit = (): void => {
    if (s.run) return;
    start(s, host(), { reason: 'natural', code: exitCode() }, true, (outcome) => {
      settle(s);
      if (outcome.exit) p.exit(outcome.exit.code);
      else if (outcome.late) p.exit(); // work left behind by a stuck handler must not hold the program
    });
  };
  // process.exit(), an uncaught error, or the end after beforeExit: synchronous from here on.
  const onExit = (code: number): void => {
    if (s.run) {
      // An exit during our own async run (a handler's awaited part, or other code).
      s.run.outcome.exit = new ExitRequest(code);
      s.run.flush();
    } else {
      const ending: Ending = failure ? { reason: 'error', error: failure.error } : { reason: 'exit', code };
      const { outcome } = start(s, host(), ending, false);
      if (outcome.exit?.code !== undefined) {
        try {
          p.exitCode = outcome.exit.code;
        } catch {
          // an invalid code: keep the one Node had
        }
      }
    }
    settle(s);
  };
  const onSignal = (signal: string): void => {
    if (s.run) return die(signal); // a second signal while handlers run: stop now
    if (p.listenerCount(signal) > 1) return; // the program has its own listener: it decides
    start(s, host(), { reason: 'signal', signal }, true, (outcome) => {
      settle(s);
      if (outcome.exit) p.exit(outcome.exit.code);
      else die(signal);
    });
  };
  const die = (signal: string): void => {
    uninstall();
    try {
      p.kill(p.pid, signal);
    } catch {
      // Windows cannot send SIGHUP to itself: end with the shell's code for it instead.
      p.exit(128 + (NUMBERS[signal] ?? 0));
    }
  };

  const listeners: [string, (...args: never[]) => void][] = [
    ['uncaughtExceptionMonitor', onError],
    ['beforeExit', onBeforeExit],
    ['exit', onExit],
    ...signals.map((signal): [string, () => void] => [signal, () => onSignal(signal)]),
  ];
  for (const [event, listener] of listeners) p.on(event, listener);
  let installed = true;
  function uninstall(): void {
    if (!installed) return;
    installed = false;
    for (const [event, listener] of listeners) p!.removeListener(event, listener);
  }
  return uninstall;
}
