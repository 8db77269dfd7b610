// What register(), use(), defer() and configure() take, and the hints their TypeErrors add for
// the common mistakes: a called function, a Promise, a class, an object with close() but no
// dispose method, a decorator on an instance method.
import { MAX_DELAY } from './output.ts';
import type { Handler } from './registry.ts';
import { describeValue } from './report.ts';

/** Checks configure()'s `deadline`: a number of ms above 0 that a timer can wait, or Infinity. */
export function checkDeadline(deadline: unknown): asserts deadline is number {
  if (typeof deadline !== 'number') {
    throw new TypeError(`atexit.configure: deadline must be a number of ms above 0 (Infinity allowed), got ${describeValue(deadline)}`);
  }
  // A number out of range is a RangeError, as for exit codes. 0 is refused rather than read as
  // "do not wait": it would skip every async handler, and stop synchronous ones at once.
  if (!(deadline > 0)) throw new RangeError(`atexit.configure: deadline must be a number of ms above 0 (Infinity allowed), got ${describeValue(deadline)}`);
  // Timers cannot wait longer: setTimeout would fire at once and skip every async handler.
  if (deadline > MAX_DELAY && deadline !== Infinity) {
    throw new RangeError(`atexit.configure: deadline must be at most ${MAX_DELAY} ms (about 24.8 days) or Infinity, got ${deadline}`);
  }
}

/** The hint a TypeError of register() or defer() adds for the two common mistakes. */
export function notAFunction(value: unknown, who: string): string {
  const called = value === undefined ? 'did you call it?' : describeValue(value) === 'a Promise' ? 'the function already ran.' : '';
  return called && `: ${called} Pass the function itself: atexit.${who}(f), not atexit.${who}(f())`;
}

/** Common names of a cleanup method, for use()'s hint on an object that is not disposable. */
const CLEANUPS = ['close', 'end', 'destroy', 'dispose', 'disconnect', 'stop', 'quit', 'shutdown', 'terminate'];

/** The hint use()'s TypeError adds for an object with a cleanup method but neither symbol. */
export function notDisposable(value: unknown): string {
  try {
    const name = typeof value === 'object' && value !== null ? CLEANUPS.find((key) => typeof (value as Record<string, unknown>)[key] === 'function') : undefined;
    if (name) return ` with ${name}(): register that call instead, atexit.register(() => x.${name}())`;
  } catch {
    // a revoked Proxy: no hint
  }
  return '';
}

const sourceOf = Function.prototype.toString;

/**
 * A class always has a `prototype`; arrow functions, methods and async functions have none,
 * and cost one `in` (an inline-cached lookup, about 1 ns, where `Object.hasOwn` costs 10).
 * Other functions are classes only if their source starts with `class` (the source of a class
 * always does: comments before the keyword are not part of it); the first character settles
 * it for nearly all, without the regular expression. A Proxy of a class reads as native code
 * and passes: it fails when called, at exit, and is reported then.
 */
export function isClass(func: Handler): boolean {
  try {
    // `in`, not `func.prototype`: reading it makes V8 build a prototype object for every
    // ordinary function (about 0.5 µs and memory per register); `in` does not.
    if (!('prototype' in func)) return false;
    const source = sourceOf.call(func);
    return source.charCodeAt(0) === 99 /* c */ && /^class\b/.test(source);
  } catch {
    return false; // a Proxy whose traps throw: callable all the same
  }
}

export function decoratorContext(value: unknown): ClassMethodDecoratorContext | undefined {
  let name: string;
  try {
    const context = value as ClassMethodDecoratorContext;
    if (context.kind !== 'method' || typeof context.addInitializer !== 'function') return undefined;
    if (context.static) return context;
    name = String(context.name);
  } catch {
    return undefined; // not an object we may look into (null, a revoked Proxy): an argument
  }
  throw new TypeError(`atexit.register decorates static methods only, got the instance method ${name}: at exit there is no instance. Make it static, or call atexit.register(() => this.${name}()) in the constructor`);
}
