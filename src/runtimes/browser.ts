// Placeholder until the browser adapter lands.
export * from './node.ts';
