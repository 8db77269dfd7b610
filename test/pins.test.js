// Rules the ending model (test/ending-model.test.js) guards in-process, pinned on the real
// runtime as child processes too (issue 27), so that a change made to the model and the code
// together still meets a test: the deadline's arithmetic and listener removal when the registry
// empties. (The PID 1 fallback's timing: the [pid1] tests of test/ending-rules.test.js.)
// Fixture: test/fixtures/pins.mjs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { run, runtime } from './harness.js';

test('the deadline counts over the whole run from the first handler: with 400 ms, after a 100 ms synchronous handler and a 150 ms awaited one, it passes 150 ms into the third, naming it; status 3', async () => {
  const r = await run('pins.mjs', { args: ['deadline'] });
  // What happens to the older handlers past the deadline is not pinned here, only when it passed.
  const lines = r.stdout.split('\n');
  assert.deepEqual(lines.slice(0, 3), ['busy: done', 'first: done', 'second: 100 ms in'], r.stdout);
  assert.ok(!lines.includes('second: done'), `the deadline came after the handler it should have cut short:\n${r.stdout}`);
  assert.match(r.stderr, /^atexit: deadline of 400 ms passed while awaiting second\b/);
  assert.deepEqual([r.status, r.signal], [3, null]);
});

const counted = runtime.startsWith('node') ? false : 'process.listenerCount counts only Node listeners';
for (const [how, what] of [
  ['unregister', 'unregister() of the last handlers (registered once, twice, with arguments)'],
  ['use', 'unregister() of a resource used twice'],
  ['defer', 'the end of a deferred scope'],
]) {
  test(`${what} empties the registry: the listeners are gone (counts as before the first register), and SIGTERM then kills by default`, { skip: counted }, async () => {
    const r = await run('pins.mjs', { args: [`emptied-${how}`] });
    const [first, ...rest] = r.stdout.split('\n');
    const { before, after, ncallbacks } = JSON.parse(first);
    assert.deepEqual(after, before);
    assert.equal(ncallbacks, 0);
    assert.deepEqual(rest, [''], r.stdout);
    assert.deepEqual([r.status, r.signal, r.stderr], [null, 'SIGTERM', '']);
  });
}
