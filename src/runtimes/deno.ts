// Placeholder until the Deno adapter lands: Deno runs Node-style programs through `process`.
export * from './node.ts';
