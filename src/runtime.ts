// The runtime adapter this build uses. The build points this module at the file of the
// target runtime (see scripts/build.js); for type checking it is the Node adapter, and
// every adapter has the same shape: `adapter` (what the ending policy may ask of the runtime)
// and `install` (the listeners that tell the policy what happens).
export * from './runtimes/node.ts';
