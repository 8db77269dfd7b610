/**
 * Python's `atexit` for every JavaScript runtime: functions registered to run, last in
 * first out, when the program ends normally.
 *
 * @example
 * ```ts
 * import * as atexit from 'atexit';
 * atexit.register(console.log, 'runs second');
 * atexit.register(console.log, 'runs first');
 * ```
 * @module
 */
import type { Ending } from './contract.ts';
import { describeEnding, manual, request } from './ending.ts';
import { checkCode, ExitRequest } from './exit.ts';
import type { Handler } from './registry.ts';
import { callerFrame, describeValue, lateSites, nameOf } from './report.ts';
import { adapter, install } from './runtime.ts';
import { closer } from './server.ts';
import { checkDeadline, decoratorContext, isClass, notAFunction, notDisposable } from './checks.ts';
import { checkSignals, listened } from './signals.ts';
import { bare, mine, release, shared, type Options, type Shared } from './state.ts';

export type { Ending } from './contract.ts';
export type { Handler } from './registry.ts';
export type { Reporter, Unraisable } from './report.ts';
export type { Options, Signal } from './state.ts';

// The decorator's overload comes first: when no overload matches, TypeScript 7 reports only the
// last one, and a wrong argument to a handler is the error people meet.
// The decorator form stays in inline backticks inside @example: elsewhere (a code block, the
// description), editors read its `@` as the start of a new tag and cut the hover there.
/**
 * Registers `func` to be called with `args` when the program ends; returns `func`.
 * The same function may be registered many times; each registration runs. Arguments are kept
 * by reference. Also a decorator for static methods, which then run with `this` bound to
 * their class.
 *
 * @throws {TypeError} if `func` is not callable (classes are not: they need `new`).
 * @example
 * ```ts
 * atexit.register(console.log, 'bye', { flush: true });
 * ```
 * As a decorator: `class Db { @atexit.register static close() { this.pool.end(); } }`
 */
export function register<F extends Handler, C>(method: F, context: ClassMethodDecoratorContext<C, F> & { static: true }): F;
export function register<F extends Handler>(func: F, ...args: NoInfer<Parameters<F>>): F;
export function register(func: Handler, ...args: unknown[]): Handler {
  // The common case, kept apart and small so that V8 runs it fast while the code is still cold
  // (a program registering many handlers at start-up): no arguments, listeners installed, and a
  // function without a `prototype` (an arrow or a method), which cannot be a class; no run in
  // progress (add() keeps where a registration made during one was made, for the line saying
  // that the run dropped it).
  const s = mine;
  let plain = false;
  try {
    plain = args.length === 0 && s?.uninstall !== undefined && s.sites === undefined && s.run === undefined && typeof func === 'function' && !('prototype' in func);
  } catch {
    // `in` on a revoked Proxy: the checks in registerMore() say what it is
  }
  if (!plain) return registerMore(func, args);
  s!.registry.add(func, undefined);
  return func;
}

/** register() for every other case: checks, the decorator form, arguments, the first install. */
function registerMore(func: Handler, args: unknown[]): Handler {
  // A class is a function that throws unless called with `new`: refuse it now, not at exit.
  if (typeof func !== 'function' || isClass(func)) {
    // (No `arguments.length` here to tell register() from register(undefined): reading
    // `arguments` at all makes every call build that object, doubling the cost of register.)
    throw new TypeError(`atexit.register: expected a function, got ${describeValue(func)}${notAFunction(func, 'register')}`);
  }
  const s = shared();
  const context = args.length === 1 ? decoratorContext(args[0]) : undefined;
  if (context) {
    context.addInitializer(function (this: unknown) {
      (s.self ??= new WeakMap()).set(func, this);
      add(s, func, undefined);
    });
  } else {
    add(s, func, args.length ? args : undefined);
  }
  return func;
}

// `Symbol.asyncDispose`/`Symbol.dispose` where the lib declares them (lib esnext.disposable,
// @types/node); `never` elsewhere, and then any object is taken (TypeScript cannot name the key).
type AsyncDisposeKey = SymbolConstructor extends { readonly asyncDispose: infer K extends symbol } ? K : never;
type DisposeKey = SymbolConstructor extends { readonly dispose: infer K extends symbol } ? K : never;

/** What `use()` takes: an `AsyncDisposable` or a `Disposable` (their shapes, for TypeScript before 5.2). */
export type Resource = [AsyncDisposeKey | DisposeKey] extends [never]
  ? object
  : { readonly [K in AsyncDisposeKey]: () => unknown } | { readonly [K in DisposeKey]: () => unknown };

/**
 * What `defer()` returns: a registration that `using` / `await using` (or a `DisposableStack`)
 * ends with its scope, running the function then, unless it ran at exit already.
 */
export type Deferred = { readonly [K in AsyncDisposeKey]: () => Promise<void> } & { readonly [K in DisposeKey]: () => void };

/** The well-known symbol, or the key TypeScript's downlevel `using` falls back to where it is missing. */
const disposeKey = (name: 'asyncDispose' | 'dispose'): symbol => (Symbol as unknown as Record<string, symbol | undefined>)[name] ?? Symbol.for(`Symbol.${name}`);

/**
 * Registers `resource[Symbol.asyncDispose]` (else `resource[Symbol.dispose]`), looked up now, to
 * be called at exit with `this` = `resource`, in the one LIFO order with `register()`; an async
 * disposal is awaited within the deadline. Returns `resource`; `null` and `undefined` are taken
 * and ignored. `unregister(resource)` removes every registration of it.
 *
 * A server (node:http, node:https, node:http2, and so Express and Fastify's `.server`;
 * `Deno.serve()`, `Bun.serve()`) is shut down for real instead of merely closed: it stops
 * listening, answers every request it has read (responses written from then on say
 * `Connection: close`; HTTP/2 sessions get GOAWAY), closes each connection as soon as it is idle,
 * and what is still open at the deadline is destroyed. See docs/servers.md.
 *
 * @throws {TypeError} if `resource` has neither method.
 * @example
 * ```ts
 * const server = atexit.use(http.createServer(app)); // shut down at exit
 * ```
 */
export function use<T extends Resource | null | undefined>(resource: T): T {
  if (resource === null || resource === undefined) return resource;
  const server = closer(resource);
  if (server) {
    attach(shared(), resource, server, server);
    return resource;
  }
  let method: unknown;
  let async = true;
  if (typeof resource === 'object' || typeof resource === 'function') {
    method = (resource as Record<symbol, unknown>)[disposeKey('asyncDispose')];
    if (method === undefined || method === null) {
      method = (resource as Record<symbol, unknown>)[disposeKey('dispose')];
      async = false;
    }
  }
  if (typeof method !== 'function') {
    throw new TypeError(`atexit.use: expected a resource with [Symbol.asyncDispose] or [Symbol.dispose], got ${typeof resource === 'function' ? 'a function without them' : describeValue(resource)}${notDisposable(resource)}`);
  }
  const dispose = method as () => unknown;
  // As the proposal does, a synchronous [Symbol.dispose] is not awaited, whatever it returns.
  attach(shared(), resource, dispose, () => {
    const value = Reflect.apply(dispose, resource, []);
    return async ? value : undefined;
  });
  return resource;
}

/**
 * Registers `func` to be called with `args` at exit, as `register()` does, and returns a
 * registration that a scope can end: `await using` (or `using`) calls `func` at the end of the
 * scope and unregisters it, unless the program ended first and it ran at exit. It runs once;
 * ending it again does nothing. `DisposableStack.prototype.defer`, for the process-wide stack.
 *
 * @throws {TypeError} if `func` is not callable.
 * @example
 * ```ts
 * await using tmp = atexit.defer(() => rm(dir, { recursive: true }));
 * ```
 */
export function defer<F extends Handler>(func: F, ...args: NoInfer<Parameters<F>>): Deferred {
  if (typeof func !== 'function' || isClass(func)) throw new TypeError(`atexit.defer: expected a function, got ${describeValue(func)}${notAFunction(func, 'defer')}`);
  const s = shared();
  let ran = false;
  const call = (): unknown => {
    ran = true;
    return Reflect.apply(func, undefined, args);
  };
  const atExit = attach(s, func, func, () => (ran ? undefined : call()));
  const end = (): unknown => {
    if (ran) return undefined;
    s.registry.remove(atExit);
    const made = s.uses?.get(func);
    made?.splice(made.indexOf(atExit) >>> 0, 1);
    release(s);
    return call();
  };
  return {
    [disposeKey('dispose')]: () => void end(),
    [disposeKey('asyncDispose')]: async () => void (await end()),
  } as unknown as Deferred;
}

/** Registers `disposer` for `key` (a resource, or defer's function), named after `named`, so unregister(key) finds it. */
function attach(s: Shared, key: object, named: { name: unknown }, disposer: Handler): Handler {
  // Reports and NODE_DEBUG name the function or the dispose method, not this wrapper (a server's
  // closer names its server itself).
  if (named !== disposer) Object.defineProperty(disposer, 'name', bare({ value: nameOf(named as Handler) }));
  const made = (s.uses ??= new WeakMap()).get(key);
  if (made) made.push(disposer);
  else s.uses.set(key, [disposer]);
  add(s, disposer, undefined);
  return disposer;
}

/**
 * Removes every registration of `func` (matched with `===`), also those made by `use(func)` and
 * `defer(func)`; does nothing if there is none.
 * Amortised constant time: the first call builds an index in one pass over the registry, kept
 * until the registry is empty; later calls cost what that function's registrations cost.
 *
 * @example
 * ```ts
 * atexit.register(flush); atexit.register(flush);
 * atexit.unregister(flush); // both gone
 * ```
 */
export function unregister(func: unknown): void {
  const s = shared();
  s.registry.remove(func);
  const made = s.uses?.get(func as object);
  if (made) {
    s.uses!.delete(func as object);
    for (const disposer of made) s.registry.remove(disposer);
  }
  release(s);
}

/**
 * Runs every registered handler now, newest first, and empties the registry. Synchronous
 * handlers have run when this returns; the promise settles after the last handler, awaiting
 * those that return a promise. It never rejects: failures go to the reporter.
 *
 * @example
 * ```ts
 * atexit.runExitFuncs();
 * assert.equal(atexit.ncallbacks(), 0);
 * ```
 */
export function runExitFuncs(): Promise<void> {
  return manual(shared(), adapter).done.then(() => {});
}

/**
 * Drops every registration without running it.
 *
 * @example
 * ```ts
 * atexit.clear();
 * ```
 */
export function clear(): void {
  const s = shared();
  s.registry.clear();
  release(s);
}

/**
 * The number of registrations waiting to run. While handlers run: those the run has not called
 * yet, and those registered meanwhile, which it will not call (a nested `runExitFuncs()` would).
 *
 * @example
 * ```ts
 * atexit.register(flush);
 * atexit.ncallbacks(); // 1
 * ```
 */
export function ncallbacks(): number {
  return shared().registry.size;
}

/**
 * Ends the program gracefully: runs the handlers, awaiting the async ones within the
 * deadline, then exits with `code` (default: the status the program would have had).
 * Inside a running handler it only records `code` as the final status; `await` it to stop
 * that handler there. Called again before the end, the last code asked for wins.
 *
 * @throws {TypeError | RangeError} if `code` is given and is not an integer; nothing runs then.
 * @example
 * ```ts
 * server.on('fatal', () => atexit.exit(1));
 * ```
 */
export function exit(code?: number): Promise<never> {
  const checked = checkCode(code, 'atexit.exit');
  const s = shared();
  const inside = s.run !== undefined;
  request(s, adapter, checked);
  if (inside) {
    const stopped = Promise.reject(new ExitRequest(checked));
    stopped.catch(() => {});
    return stopped;
  }
  return new Promise<never>(() => {});
}

/**
 * How the program is ending, while handlers run; `undefined` otherwise. An exit asked for
 * during the run (a handler's `process.exit(n)`, a second `atexit.exit(n)`) shows in `code`.
 *
 * @example
 * ```ts
 * atexit.register(() => {
 *   const why = atexit.ending();
 *   if (why?.reason === 'signal') log(`stopped by ${why.signal}`);
 * });
 * ```
 */
export function ending(): Ending | undefined {
  return describeEnding(shared(), adapter);
}

/**
 * Reads and changes the settings shared by every copy of the package: the `deadline` that
 * bounds the whole run of handlers, synchronous ones included (ms, default 10 000; past it the
 * remaining handlers still run, without being awaited), the `reporter` that receives failures,
 * and the `signals` treated as endings (default: SIGHUP, SIGINT, SIGTERM and SIGUSR2 on POSIX
 * systems; SIGHUP, SIGINT, SIGBREAK on Windows; no effect in browsers).
 *
 * @throws {TypeError} for an unknown option, a wrong value, or a signal that is unknown or
 * that atexit never takes (SIGKILL, SIGSTOP, SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGUSR1, SIGPIPE, …).
 * @example
 * ```ts
 * atexit.configure({ deadline: 5_000, reporter: ({ message, error }) => log.error(message, error) });
 * atexit.configure({ signals: [...atexit.configure().signals, 'SIGQUIT'] });
 * ```
 */
export function configure(options: Partial<Options> = {}): Options {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`atexit.configure: expected an options object, got ${describeValue(options)}`);
  }
  const s = shared();
  const current = s.options;
  // Only the object's own properties: one inherited from a polluted Object.prototype is absent.
  const given: Partial<Record<keyof Options, unknown>> = bare({});
  for (const key of Object.keys(options)) {
    if (key !== 'deadline' && key !== 'reporter' && key !== 'signals') throw new TypeError(`atexit.configure: unknown option ${JSON.stringify(key)}; the options are deadline, reporter and signals`);
    const value = (options as Record<string, unknown>)[key];
    if (value !== undefined) given[key] = value;
  }
  const signals = given.signals === undefined ? undefined : checkSignals(given.signals, adapter);
  const { deadline = current.deadline, reporter = current.reporter } = given;
  checkDeadline(deadline);
  if (typeof reporter !== 'function') throw new TypeError(`atexit.configure: reporter must be a function, got ${describeValue(reporter)}`);
  Object.assign(current, { deadline, reporter: reporter as Options['reporter'] });
  if (signals && signals.join() !== listened(s, adapter).join()) {
    current.signals = signals;
    // Listening already: listen to the new list instead.
    if (s.uninstall) {
      s.uninstall();
      s.uninstall = install(s);
    }
  }
  return { deadline, reporter: reporter as Options['reporter'], signals: listened(s, adapter) as Options['signals'] };
}


function add(s: Shared, func: Handler, args: unknown[] | undefined): void {
  s.registry.add(func, args);
  if (!s.uninstall) {
    s.uninstall = install(s);
    // NODE_DEBUG=atexit: keep where handlers are registered, so that a failure with no frame of
    // the handler's own (an anonymous rejection, a class behind bind()) can still be placed.
    if (adapter.host().trace) s.sites ??= new WeakMap();
  }
  if (s.sites && !s.sites.has(func)) s.sites.set(func, callerFrame());
  // As in CPython: the run drains what was registered before it; the registry is empty after it.
  // A run that drops it says so (state.ts, reportDropped), always, not only under NODE_DEBUG: a
  // cleanup that silently never runs is a bug to find. Where it was registered is kept for that.
  if (s.run) lateSites.set(func, callerFrame());
}

/**
 * Every function above, as a default export, for `import atexit from 'atexit'` (as Python's
 * `import atexit`): `atexit.register` is `register`.
 *
 * @example
 * ```ts
 * import atexit from 'atexit';
 * atexit.register(console.log, 'bye');
 * ```
 */
const atexit: {
  readonly register: typeof register;
  readonly unregister: typeof unregister;
  readonly runExitFuncs: typeof runExitFuncs;
  readonly clear: typeof clear;
  readonly ncallbacks: typeof ncallbacks;
  readonly exit: typeof exit;
  readonly ending: typeof ending;
  readonly configure: typeof configure;
  readonly use: typeof use;
  readonly defer: typeof defer;
} = /* @__PURE__ */ Object.freeze({ register, unregister, runExitFuncs, clear, ncallbacks, exit, ending, configure, use, defer });
export default atexit;
