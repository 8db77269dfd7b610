// Injected by test/ending-model.test.js into its bundle of src/ending.ts (esbuild `inject`): the
// timers, clock and console the policy and the run use become those of the virtual runtime of
// the case in progress, without touching the real globals.
export const virtual = { runtime: undefined };

const rt = () => {
  if (!virtual.runtime) throw new Error('ending-model: the policy used a timer outside a case');
  return virtual.runtime;
};

function setTimeout(fn, ms = 0) {
  return rt().timer(fn, ms);
}
function clearTimeout(handle) {
  if (handle) rt().cancel(handle);
}
const performance = {
  now: () => rt().now,
};
const console = {
  error: (text) => rt().notice(String(text)),
  log: (text) => rt().notice(String(text)),
  warn: (text) => rt().notice(String(text)),
};

export { setTimeout, clearTimeout, performance, console };
