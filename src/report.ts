import type { Handler } from './registry.ts';

/** What the reporter is told when a handler throws or its promise rejects. */
export interface Unraisable {
  /** `Exception ignored in atexit callback <name>` */
  message: string;
  /** Whatever was thrown, untouched. */
  error: unknown;
  handler: Handler;
}

/** Receives every failure of a handler (Python's `sys.unraisablehook`). */
export type Reporter = (report: Unraisable) => void;

/** One line to stderr (the console in a browser); never throws, output may be gone. */
export function write(text: string): void {
  try {
    console.error(text);
  } catch {
    // stderr closed, console replaced: nothing left to tell.
  }
}

/**
 * The default reporter: the message line, then the stack (from the handler down, see
 * `handlerStack`) or the best string we can get.
 */
export const printReport: Reporter = ({ message, error }) => write(`${message}:\n${handlerStack(describe(error))}`);

/** Hands a failure to the reporter; if the reporter itself throws, the default one prints it. */
export function report(reporter: Reporter, handler: Handler, error: unknown): void {
  const unraisable = { message: `Exception ignored in atexit callback ${nameOf(handler)}`, error, handler };
  try {
    reporter(unraisable);
  } catch {
    printReport(unraisable);
  }
}

/**
 * The prefix of `NODE_DEBUG=atexit` lines (`ATEXIT 1234:`) when `debug`, the variable's value,
 * names atexit or `*` among its comma-separated modules (as Node's own NODE_DEBUG does); else
 * undefined (tracing off). May throw (a value whose string form throws).
 */
export function tracePrefix(debug: unknown, pid: unknown): string | undefined {
  return /(^|,)\s*(atexit|\*)\s*(,|$)/i.test(String(debug ?? '')) ? `ATEXIT ${pid}:` : undefined;
}

export function nameOf(func: Handler): string {
  try {
    return (typeof func.name === 'string' && func.name) || '<anonymous>';
  } catch {
    return '<anonymous>'; // a hostile `name` getter
  }
}

/**
 * A printable form of any thrown value, never throwing: its stack, else its string form, else
 * JSON, else its name (an Error whose message cannot be read).
 */
export function describe(error: unknown): string {
  let text = '<unprintable value>';
  for (const form of [(e: unknown) => Object(e).stack, String, JSON.stringify, (e: unknown) => Object(e).name]) {
    try {
      const found: unknown = form(error);
      if (typeof found !== 'string' || !found) continue;
      if (!/^\[object |^\{\}$/.test(found)) return found;
      if (found === '{}') text = found;
    } catch {
      // a throwing getter or toString, a revoked Proxy, a cycle, a BigInt
    }
  }
  return text;
}

/** The file of a stack frame line (V8, JavaScriptCore and SpiderMonkey forms); undefined if it is not one. */
const fileOf = (line: string): string | undefined => /(?:\(|@|^\s*at )([^()]+?):\d+:\d+\)?\s*$/.exec(line)?.[1];
/** A frame of the runtime itself (Node's `node:`, Deno's `ext:`, Bun's `native`). */
const internal = (line: string): boolean => /^(?:node|ext|native|bun):/.test(fileOf(line) ?? '');

/**
 * A stack as Python shows a traceback: the handler's frames only, without the package's frames
 * that called it nor the runtime's dispatch frames below. Names cannot be trusted (bundlers
 * minify them; builds differ), so frames are matched by position against a stack taken here:
 * the frames both stacks end with are the call chain that led to the handler (a synchronous
 * throw); failing that, the cut is at the first frame from this package's directory (one
 * bundle, or the sources when the runtime applies the source map), and the first frame stays.
 * Runs only when a failure is printed.
 */
export function handlerStack(stack: string): string {
  try {
    const lines = stack.split('\n');
    const first = lines.findIndex((line) => fileOf(line) !== undefined);
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 100; // deep enough to reach where the error's own (shorter) stack stops
    const here = (new Error().stack ?? '').split('\n').filter((line) => fileOf(line) !== undefined);
    Error.stackTraceLimit = limit;
    const file = here.length ? fileOf(here[0]!)! : '';
    const own = file.slice(0, Math.max(file.lastIndexOf('/'), file.lastIndexOf('\\')) + 1);
    if (first < 0 || !own) return stack;
    const ours = (line: string): boolean => fileOf(line)?.startsWith(own) === true;
    // The error's stack may stop short (the trace limit): line up its last frame with this one.
    // The same frame may be in it twice (a run started by a handler): take the longest match.
    let shared = 0;
    here.forEach((frame, bottom) => {
      if (frame !== lines[lines.length - 1]) return;
      let n = 0;
      while (bottom - n >= 0 && n < lines.length - first - 1 && lines[lines.length - 1 - n] === here[bottom - n]) n++;
      shared = Math.max(shared, n);
    });
    // A shared tail through the package is the call chain; the frame above it (the call) goes too.
    let end: number;
    if (lines.slice(lines.length - shared).some(ours)) {
      end = lines.length - shared - 1;
      // Nothing above the call: the call itself threw (a class behind bind() or a Proxy), and no
      // frame is the handler's. The message alone says more than a frame inside the package.
      if (end <= first) return lines.slice(0, first).join('\n');
    } else {
      end = lines.findIndex((line, i) => i > first && ours(line));
      if (end < 0) end = lines.length;
      end = Math.max(end, first + 1);
    }
    // A package frame below one of the program's is the call into the handler, whatever the
    // tail said (Bun ends a stack at the watchdog's script, so there is no tail to line up).
    const outside = lines.findIndex((line, i) => i >= first && i < end && !ours(line));
    if (outside >= 0) {
      const call = lines.findIndex((line, i) => i > outside && i < end && ours(line));
      if (call > 0) end = call;
    }
    while (end > first + 1 && internal(lines[end - 1]!)) end--;
    return lines.slice(0, end).join('\n');
  } catch {
    return stack;
  }
}

/** The first frame of the current stack outside this package (its file:line:column), or '?'. */
export function callerFrame(): string {
  try {
    const frames = (new Error().stack ?? '').split('\n').map(fileAndLine).filter((frame) => frame !== undefined);
    const own = frames[0]!.slice(0, frames[0]!.replace(/:\d+:\d+$/, '').search(/[^/\\]*$/));
    return frames.find((frame) => !frame.startsWith(own) && !/^(?:node|ext|native|bun):/.test(frame)) ?? '?';
  } catch {
    return '?';
  }
}

const fileAndLine = (line: string): string | undefined => /(?:\(|@|^\s*at )([^()]+?:\d+:\d+)\)?\s*$/.exec(line)?.[1];

/** What a refused value was, for an error message: `the string "x"`, `the number 0`, `null`, `class Db`. */
export function describeValue(value: unknown): string {
  if (typeof value === 'function') {
    let kind = 'function';
    try {
      if (/^class\b/.test(Function.prototype.toString.call(value))) kind = 'class';
    } catch {
      // a Proxy: a function all the same
    }
    return value.name ? `${kind} ${value.name}` : `an anonymous ${kind}`;
  }
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'object') {
    try {
      // register(flush()) with an async flush: say what it is, so the hint can say why
      if (typeof (value as { then?: unknown }).then === 'function') return 'a Promise';
    } catch {
      // a revoked Proxy: an object all the same
    }
    return Array.isArray(value) ? 'an array' : 'an object';
  }
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  if (typeof value === 'bigint') return `the bigint ${value}n`;
  return `the ${typeof value} ${String(value)}`; // the number 42, the boolean true, the symbol Symbol(x)
}

/** Where each handler registered during a run was registered (set by register()), for the line below. */
export const lateSites = new WeakMap<Handler, string>();

/**
 * Says, one line each, which handlers were registered while handlers ran and so did not run
 * (the registry's `dropped`: a run ended without a nested run having called them).
 */
export function reportDropped(funcs: Handler[]): void {
  for (const func of funcs) {
    const site = lateSites.get(func);
    write(`atexit: ${nameOf(func)}${site && site !== '?' ? ` (registered at ${site})` : ''} was registered while handlers ran: it did not run`);
  }
}
