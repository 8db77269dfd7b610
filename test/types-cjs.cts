// Type tests for `require('atexit')`: the CommonJS declarations (compiled with test/types.ts).
import atexit = require('atexit');

const add = (a: number, b: string): string => `${a}${b}`;
atexit.register(add, 1, 'x');
// @ts-expect-error wrong type for the second argument
atexit.register(add, 1, 2);
atexit.default.register(add, 1, 'x');
// @ts-expect-error the default export checks arguments too
atexit.default.register(add, 1, 2);
const count: number = atexit.ncallbacks();
void count;
