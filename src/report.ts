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

/** The default reporter: the message line, then the stack or the best string we can get. */
export const printReport: Reporter = ({ message, error }) => write(`${message}:\n${describe(error)}`);

/** Hands a failure to the reporter; if the reporter itself throws, the default one prints it. */
export function report(reporter: Reporter, handler: Handler, error: unknown): void {
  const unraisable = { message: `Exception ignored in atexit callback ${nameOf(handler)}`, error, handler };
  try {
    reporter(unraisable);
  } catch {
    printReport(unraisable);
  }
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
