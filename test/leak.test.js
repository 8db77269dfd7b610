// No leaks (issue 6, item 8): a child `node --expose-gc` runs test/fixtures/hard-leak.mjs.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

const fixture = fileURLToPath(new URL('fixtures/hard-leak.mjs', import.meta.url));
const root = fileURLToPath(new URL('..', import.meta.url));
// About a minute of CPU, longer on a loaded machine. A planted leak or a slow unregister makes it
// crawl for many minutes: past the limit it is killed and every test here fails. SIGKILL, as a
// child busy in a loop never gets to the SIGTERM listener atexit installs in it.
// ATEXIT_LEAK_LIMIT (ms) overrides the limit (to see it fail).
const LIMIT = Number(process.env.ATEXIT_LEAK_LIMIT) || 300_000;
const result = new Promise((resolve, reject) =>
  // Each of the 100 000 empty cycles installs and removes a listener per default signal (four
  // since SIGUSR2 joined, issue 14): 185 s against 112 s on a loaded 2-core machine.
  execFile(process.execPath, ['--expose-gc', fixture], { cwd: root, timeout: LIMIT, killSignal: 'SIGKILL' }, (error, stdout, stderr) => {
    if (error?.killed) reject(new Error(`hard-leak.mjs did not finish within ${LIMIT / 1000} s: killed`));
    else if (error) reject(new Error(`${error.message}\n${stderr}`));
    else resolve(JSON.parse(stdout));
  }),
);
// A leak of even 8 bytes per cycle would be 8 MB here.
const TOLERANCE = 1 << 20;

test('100 000 register/unregister cycles with an empty registry (listeners installed and removed each time): heap back', async () => {
  const { empty } = await result;
  assert.ok(empty < TOLERANCE, `heap grew by ${empty} bytes`);
});

test('a million cycles with other registrations present: heap back where it started', async () => {
  const { busy, count } = await result;
  assert.ok(busy < TOLERANCE, `heap grew by ${busy} bytes`);
  assert.equal(count, 1);
});

test('the same function registered and unregistered a million times: heap flat', async () => {
  const { same } = await result;
  assert.ok(same < TOLERANCE, `heap grew by ${same} bytes`);
});

test('unregistered handlers and their arguments become collectable', async () => {
  assert.equal((await result).unregistered, true);
});

test('after runExitFuncs() the handlers that ran and their arguments are collectable', async () => {
  assert.equal((await result).run, true);
});

// Issue 27: the registry indexes its registrations one of two ways (src/registry.ts indexOf):
// every function registered once (arguments indexed too), or some registered twice. Quick
// children of their own, apart from the long run above.
const leakUnregister = fileURLToPath(new URL('fixtures/leak-unregister.mjs', import.meta.url));
for (const [how, index, count] of [
  ['once', 'every function registered once', 1],
  ['twice', 'keep registered twice', 2],
  ['same', 'f registered twice, with big each time', 1],
]) {
  test(`register(keep), register(f, big), unregister(f) (${index}): f and big collectable while keep stays registered`, async () => {
    const stdout = await new Promise((resolve, reject) =>
      execFile(process.execPath, ['--expose-gc', leakUnregister, how], { cwd: root, timeout: 30_000, killSignal: 'SIGKILL' }, (error, out, stderr) => (error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(out))),
    );
    assert.deepEqual(JSON.parse(stdout), { f: true, big: true, finalized: 2, ncallbacks: count });
  });
}
