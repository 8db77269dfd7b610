// Node.js, Bun, and Node-style programs: `process` events and signals.
import { mark, programListeners } from '../company.ts';
import type { Drains, Host, Restart } from '../contract.ts';
import { whenWritten, shieldStreams } from '../output.ts';
import { exiting, loopDrained, signalled } from '../ending.ts';
import { tracePrefix } from '../report.ts';
import { linuxSignals, listened } from '../signals.ts';
import { ownProp, type Shared } from '../state.ts';
import * as nodeStyle from './process.ts';

/** The part of `process` we use, checked by shape before use. */
interface Proc extends nodeStyle.NodeStyle {
  prependListener(event: string, listener: (...args: never[]) => void): unknown;
  removeListener(event: string, listener: (...args: never[]) => void): unknown;
  kill(pid: number, signal: string): unknown;
  exit(code?: number): never;
  exitCode?: number | string | undefined;
  pid: number;
  env?: Record<string, string | undefined>;
  platform?: string;
  execArgv?: string[];
  getBuiltinModule?(id: string): unknown;
}

const proc = (): Proc | undefined => nodeStyle.shaped('process', ['prependListener', 'removeListener', 'listenerCount', 'kill', 'exit']);

function host(): Host {
  const p = proc();
  return nodeStyle.host(() => tracePrefix(ownProp(p?.env, 'NODE_DEBUG'), p?.pid), () => (p ? [p] : []), 'process.exit', (id) => (id as { unref?(): void }).unref?.());
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

let known: Readonly<Record<string, number>> | undefined;
/**
 * The signals the runtime knows on this platform: Linux's table there (loading `node:os` for it
 * at the first register costs Bun about 18 ms), else `os.constants.signals`, looked up once.
 */
function signals(): Readonly<Record<string, number>> {
  if (known) return known;
  const p = proc();
  try {
    if (p?.platform !== 'linux') {
      const os = p?.getBuiltinModule?.('node:os') as { constants?: { signals?: Record<string, number> } } | undefined;
      if (os?.constants?.signals) return (known = os.constants.signals);
    }
  } catch {
    // an older Node (before 20.16): the table below
  }
  return (known = linuxSignals());
}

let heapSignal: string | undefined | null = null; // null: not read yet
/** The signal `--heapsnapshot-signal` takes, in the command line or NODE_OPTIONS; read once. */
function reserved(): string | undefined {
  if (heapSignal !== null) return heapSignal;
  heapSignal = undefined;
  try {
    const p = proc();
    const flags = `${(p?.execArgv ?? []).join(' ')} ${p?.env?.NODE_OPTIONS ?? ''}`;
    heapSignal = /--heapsnapshot-signal(?:=|\s+)(\S+)/.exec(flags)?.[1];
  } catch {
    // a hostile `process`: none
  }
  return heapSignal;
}

/**
 * `bun --watch` restarts in-process (an execve over the same pid) right after it emits
 * `--watch-kill-signal` (SIGTERM by default) to the program's listeners: see Restart. `node
 * --watch` runs the program in a child it ends with a real SIGTERM, and `bun --hot` emits nothing.
 */
/* c8 ignore next 5: Bun only (tested in test/supervisors.test.js) */
function restart(): Restart | undefined {
  const p = proc();
  const flags = ` ${isBun(p) ? (p!.execArgv ?? []).join(' ') : ''} `;
  return flags.includes(' --watch ') ? { signal: /--watch-kill-signal=(\S+)/.exec(flags)?.[1] ?? 'SIGTERM', waits: false } : undefined;
}

export const adapter: Drains = {
  host,
  status: () => Number(proc()?.exitCode) | 0,
  // None without a `process` (programListeners never throws).
  listens: (signal) => programListeners(proc()!, signal, 1) > 0,
  // Node and Bun write to pipes asynchronously.
  afterOutput: (ms, then) => {
    const p = proc();
    whenWritten(nodeStyle.stdio(p, isBun(p) && bunSink), ms, then);
  },
  // A signal that came meanwhile is heard in a poll phase; setImmediate runs after one, but
  // while the main module evaluates Node 20's first turn does not hear it yet: two turns.
  later: (fn) => {
    const turn = typeof setImmediate === 'function' ? setImmediate : (f: () => void) => setTimeout(f, 0);
    turn(() => turn(fn));
  },
  // The immediates of `later` keep the loop alive for the check. Counted before they are queued:
  // Node counts an immediate while it is pending (measured), and by the check none of ours is.
  // Ours is the first 'beforeExit' listener: what the program's listeners queue counts (Bun
  // lists nothing).
  added: (fn) => {
    const before = nodeStyle.resources(proc());
    adapter.later(() => fn(nodeStyle.resources(proc()) > before));
  },
  exit: (code) => {
    const p = proc();
    if (code === undefined) p?.exit(); // exit(undefined) would reset exitCode
    else p?.exit(code);
  },
  kill: (signal) => nodeStyle.killSelf(proc(), signal),
  // Node and Bun end inside kill() when a re-raise finds the default action (measured on Linux: a
  // self-signal is delivered before kill() returns). Another library's listener (signal-exit waits
  // for this re-raise to run its own handlers, then re-raises once more) hears it on the loop.
  inFlight: (signal) => nodeStyle.listeners(proc(), signal) > 0,
  // As PID 1 the kernel drops the re-raise and Node lives on: kill() says so, and the policy ends.
  unsafeKill: () => false,
  signals,
  reserved,
  restart,
  shield: () => shieldStreams(nodeStyle.stdio(proc())),
  // From /proc/self/stat (Linux's), through node:fs.
  relayable: () => {
    type Fs = { readFileSync(path: string, encoding: string): string };
    return nodeStyle.relayable(proc(), (p) => (p.getBuiltinModule?.('node:fs') as Fs).readFileSync('/proc/self/stat', 'latin1'));
  },
};

// Bun 1.x quirks, measured in docs/runtimes.md. Bun tells an unhandled rejection neither to
// 'uncaughtExceptionMonitor' nor through the 'exit' code (0, though it ends with 1). Such an
// 'exit' has no 'beforeExit' before it and no process.exit() on its stack: that tells it apart.
const isBun = (p: Proc | undefined): boolean => typeof ownProp(ownProp(p, 'versions'), 'bun') === 'string';
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
  const signals = listened(s, adapter);
  let failure: { error: unknown } | undefined;
  let idledOnce = false; // 'beforeExit' came (Bun quirk below)

  let heard = false; // the program is exiting and our part is done
  /** The runtime exits now; returns the status a handler asked for. */
  const onExit = (code: number): number | undefined => {
    heard = true;
    if (!s.run && !failure && !idledOnce && bunRejected(p)) failure = { error: undefined };
    const asked = exiting(s, adapter, failure ? { reason: 'error', ...failure } : { reason: 'exit', code })?.code;
    try {
      if (asked !== undefined) p.exitCode = asked;
    } catch {
      // an invalid code: keep the one the runtime had
    }
    // Bun ignores an exitCode set here after an uncaught error: only exit() gives the status.
    if (failure && isBun(p) && asked !== undefined) p.exit(asked);
    return asked;
  };

  const listeners: [string, (arg: never) => void][] = [
    // An error ends the program only when no 'uncaughtException' listener of the program's
    // handles it; a handled one is not an ending (nor remembered as one).
    [
      'uncaughtExceptionMonitor',
      (error: unknown) => {
        if (!nodeStyle.listeners(p, 'uncaughtException')) failure = { error };
      },
    ],
    // The loop drained: there is still time to await. Decided on a later turn (ending.ts), by
    // when the program's own 'beforeExit' listeners (after ours, added with `on` or `once`, which
    // is gone by then) and what they queued have run. If they scheduled more work, the loop is
    // alive for it and 'beforeExit' comes again once it drained.
    [
      'beforeExit',
      () => {
        idledOnce = true;
        loopDrained(s, adapter);
      },
    ],
    // process.exit(), an uncaught error, or the end after beforeExit: synchronous from here on.
    ['exit', onExit],
    // Marked, so that other copies and majors of atexit know them for atexit's (company.ts).
    ...signals.map((signal): [string, () => void] => [signal, mark(() => signalled(s, adapter, signal))]),
  ];
  // First in line, as the newest registration: a program's own 'exit' listener that calls
  // process.exit() would otherwise end the program before our handlers run.
  // A `process` whose methods throw: handlers then run only through runExitFuncs().
  const unlisten = nodeStyle.listen(p, 'prependListener', 'removeListener', listeners);
  let installed = true;

  // A program's 'exit' listener prepended after ours runs first; if it calls process.exit(),
  // Node ends right there (an exit inside 'exit' emits no second 'exit') and ours never runs.
  // Every process.exit() ends through process.reallyExit(): there we still get our turn.
  type Holder = { reallyExit?: unknown };
  const original = (p as Holder).reallyExit;
  const ours = function (this: unknown, code?: number): unknown {
    const asked = installed && !heard ? onExit(Number(code) | 0) : undefined;
    return Reflect.apply(original as (code?: number) => unknown, this, [asked ?? code]);
  };
  try {
    if (typeof original === 'function') (p as Holder).reallyExit = ours;
  } catch {
    // a frozen process: that case stays as Node has it
  }
  return () => {
    unlisten();
    installed = false;
    try {
      // Put the original back, unless someone wrapped ours since: ours then only passes through.
      if ((p as Holder).reallyExit === ours) (p as Holder).reallyExit = original;
    } catch {
      // as above
    }
  };
}
