// The browser build's src/signals.ts (see scripts/build.js): a page gets no signals, so it
// listens to none, and `configure({ signals })` keeps the list it is given without using it.
import type { Shared } from './state.ts';

export const listened = (s: Shared): string[] => [...(s.options.signals ?? [])];

export function checkSignals(value: unknown): string[] {
  if (!Array.isArray(value) || !value.every((name) => typeof name === 'string')) {
    throw new TypeError('atexit.configure: signals must be an array of signal names, such as ["SIGINT", "SIGTERM", "SIGQUIT"]');
  }
  return [...new Set(value as string[])];
}
