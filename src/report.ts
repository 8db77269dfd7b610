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
    globalThis.console.error(text);
  } catch {
    // stderr closed, console replaced: nothing left to tell.
  }
}

/** The default reporter: the message line, then the stack or the best string we can get. */
export const printReport: Reporter = ({ message, error }) => write(`${message}:\n${describe(error)}`);

/** Hands a failure to the reporter; a reporter that throws falls back to the default one. */
export function report(reporter: Reporter, handler: Handler, error: unknown): void {
  const unraisable = { message: `Exception ignored in atexit callback ${nameOf(handler)}`, error, handler };
  try {
    reporter(unraisable);
  } catch (failure) {
    printReport({ ...unraisable, message: 'Exception ignored in atexit reporter' , error: failure });
    printReport(unraisable);
  }
}

export function nameOf(func: Handler): string {
  try {
    const { name } = func;
    if (typeof name === 'string' && name !== '') return name;
  } catch {
    // a hostile `name` getter
  }
  return '<anonymous>';
}

/** A printable form of any thrown value; never throws, follows `cause` without looping. */
export function describe(error: unknown, seen = new Set<unknown>()): string {
  let text: string;
  try {
    text = describeOne(error);
  } catch {
    return '<unprintable value>';
  }
  seen.add(error);
  try {
    const cause = typeof error === 'object' && error !== null && 'cause' in error ? error.cause : undefined;
    if (cause !== undefined && !seen.has(cause) && seen.size < 8) text += `\nCaused by: ${describe(cause, seen)}`;
  } catch {
    // a hostile `cause` getter: the error itself is printed already
  }
  return text;
}

function describeOne(error: unknown): string {
  if (typeof error !== 'object' || error === null) {
    return typeof error === 'function' ? `[function ${nameOf(error as Handler)}]` : String(error);
  }
  const { stack } = error as { stack?: unknown };
  if (typeof stack === 'string' && stack !== '') return stack;
  const { name, message } = error as { name?: unknown; message?: unknown };
  if (typeof message === 'string') return typeof name === 'string' ? `${name}: ${message}` : message;
  let text: string | undefined;
  try {
    text = String(error);
  } catch {
    // no usable toString (a null prototype, a throwing one)
  }
  if (text !== undefined && text !== '[object Object]') return text;
  try {
    const json = JSON.stringify(error);
    if (json !== undefined) return json;
  } catch {
    // cycles, BigInt, throwing getters
  }
  return text ?? Object.prototype.toString.call(error);
}
