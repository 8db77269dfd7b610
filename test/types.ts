// Type tests for the public API, compiled by test/types.test.js with `tsc -p test/tsconfig.json`.
// Every `@ts-expect-error` line must be an error: tsc reports the ones that are not.
import * as atexit from 'atexit';
import type { Ending, Handler, Options, Reporter, Signal, Unraisable } from 'atexit';

/** true only when A and B are the same type (not merely assignable both ways). */
type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const expectType = <T>(_value: T): void => {};

// Arguments are checked against func's parameters.
const add = (a: number, b: string): string => `${a}${b}`;
atexit.register(add, 1, 'x');
// @ts-expect-error wrong type for the first argument
atexit.register(add, '1', 'x');
// @ts-expect-error wrong type for the second argument
atexit.register(add, 1, 2);
// @ts-expect-error too few arguments
atexit.register(add, 1);
// @ts-expect-error too many arguments
atexit.register(add, 1, 'x', true);
// @ts-expect-error no arguments for a function that needs two
atexit.register(add);

const none = (): void => {};
atexit.register(none);
// @ts-expect-error arguments for a function that takes none
atexit.register(none, 1);

const optional = (code?: number): void => {};
atexit.register(optional);
atexit.register(optional, 1);
// @ts-expect-error wrong type for an optional parameter
atexit.register(optional, 'one');

const rest = (label: string, ...counts: number[]): void => {};
atexit.register(rest, 'a');
atexit.register(rest, 'a', 1, 2, 3);
// @ts-expect-error wrong type in the rest parameter
atexit.register(rest, 'a', 1, '2');

// Python's **kwargs: a trailing options object, checked and passed through like any argument.
function greet(name: string, options: { punctuation?: string; loud?: boolean } = {}): void {
  console.log(`goodbye, ${name}${options.punctuation ?? '.'}`);
}
atexit.register(greet, 'world');
atexit.register(greet, 'world', { punctuation: '!' });
atexit.register(greet, 'world', { loud: true, punctuation: '?' });
// @ts-expect-error an option that does not exist
atexit.register(greet, 'world', { punctuaton: '!' });
// @ts-expect-error an option of the wrong type
atexit.register(greet, 'world', { loud: 'yes' });

// The return type is exactly the type of func.
const r1 = atexit.register(add, 1, 'x');
expectType<Equals<typeof r1, typeof add>>(true);
const r2 = atexit.register(greet, 'world', { loud: true });
expectType<Equals<typeof r2, typeof greet>>(true);
const asyncHandler = async (ms: number): Promise<void> => {};
const r3 = atexit.register(asyncHandler, 5);
expectType<Equals<typeof r3, (ms: number) => Promise<void>>>(true);
// @ts-expect-error the return type is not widened
expectType<Equals<typeof r1, Handler>>(true);
const overloaded: { (a: string): void; (a: number, b: number): void } = () => {};
const r4 = atexit.register(overloaded, 1, 2);
expectType<Equals<typeof r4, typeof overloaded>>(true);

// Not callable.
// @ts-expect-error a number is not a function
atexit.register(42);
// @ts-expect-error a string is not a function
atexit.register('x');
// @ts-expect-error null is not a function
atexit.register(null);
// @ts-expect-error register needs a function
atexit.register();

// unregister takes anything; the rest of the API.
atexit.unregister(add);
atexit.unregister(42);
atexit.unregister(undefined);
expectType<Equals<ReturnType<typeof atexit.unregister>, void>>(true);
expectType<Equals<ReturnType<typeof atexit.runExitFuncs>, Promise<void>>>(true);
expectType<Equals<ReturnType<typeof atexit.ncallbacks>, number>>(true);
expectType<Equals<ReturnType<typeof atexit.clear>, void>>(true);

const reporter: Reporter = ({ message, error, handler }: Unraisable) => {
  expectType<string>(message);
  expectType<unknown>(error);
  expectType<Handler>(handler);
};
const previous: Options = atexit.configure({ reporter });
atexit.configure({ reporter: previous.reporter });
const why: Ending | undefined = atexit.ending();

// configure({ signals }): signal names are checked (issue 28), without @types/node's.
atexit.configure({ signals: ['SIGINT', 'SIGTERM', 'SIGQUIT', 'SIGBREAK'] });
atexit.configure({ signals: [...atexit.configure().signals, 'SIGQUIT'] });
expectType<Equals<Options['signals'], Signal[]>>(true);
// @ts-expect-error a misspelled signal
atexit.configure({ signals: ['SIGTREM'] });
// @ts-expect-error a signal in small letters
atexit.configure({ signals: ['sigterm'] });
// @ts-expect-error a signal atexit refuses (it cannot be caught)
atexit.configure({ signals: ['SIGKILL'] });

// The TC39 decorator form: a static method registers, called with `this` bound to its class.
class Db {
  static pool = { end(): void {} };

  @atexit.register
  static close(): void {
    this.pool.end();
  }

  @atexit.register
  static async drain(): Promise<void> {}

  // @ts-expect-error only static methods can be registered as decorators
  @atexit.register
  flush(): void {}
}
expectType<() => void>(Db.close);

// The default export: the same functions, as after Python's `import atexit`.
import atexitDefault from 'atexit';
atexitDefault.register(add, 1, 'x');
// @ts-expect-error the default export checks arguments too
atexitDefault.register(add, 1, 2);
expectType<Equals<typeof atexitDefault.register, typeof atexit.register>>(true);
expectType<Equals<typeof atexitDefault.configure, typeof atexit.configure>>(true);

// use(): an AsyncDisposable or a Disposable (or null / undefined), returned as given.
import { createServer, type Server } from 'node:http';
const server = atexit.use(createServer());
expectType<Server>(server);
const syncResource = atexit.use({ [Symbol.dispose]() {}, id: 1 });
expectType<number>(syncResource.id);
atexit.use({ async [Symbol.asyncDispose]() {} });
expectType<null>(atexit.use(null));
expectType<undefined>(atexit.use(undefined));
const maybe = atexit.use(Math.random() > 0.5 ? server : undefined);
expectType<typeof server | undefined>(maybe);
// @ts-expect-error a number is not a resource
atexit.use(42);
// @ts-expect-error an object without [Symbol.asyncDispose] or [Symbol.dispose]
atexit.use({ close() {} });

// defer(): arguments checked as register()'s; the registration is what `using` and
// `await using` take.
const deferred = atexit.defer(add, 1, 'x');
const asyncScoped: AsyncDisposable = deferred;
const syncScoped: Disposable = deferred;
expectType<Promise<void>>(deferred[Symbol.asyncDispose]());
// @ts-expect-error wrong type for the second argument
atexit.defer(add, 1, 2);
// @ts-expect-error a class is not a function to defer
atexit.defer(class Temp {});
expectType<Equals<typeof atexitDefault.use, typeof atexit.use>>(true);
expectType<Equals<typeof atexitDefault.defer, typeof atexit.defer>>(true);
void [asyncScoped, syncScoped];
