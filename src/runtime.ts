// The runtime adapter this build uses. The build points this module at the file of the
// target runtime (see scripts/build.js); for type checking it is the Node adapter, and
// every adapter has the same shape.
export * from './runtimes/node.ts';
