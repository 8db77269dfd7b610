// The browser build's src/server.ts (see scripts/build.js): a page has no server to shut down,
// so use() takes every resource as a plain disposable there, without carrying the server code.
import type { Handler } from './registry.ts';

export const closer = (_server: unknown): Handler | undefined => undefined;
