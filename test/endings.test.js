import assert from 'node:assert/strict';
import { test } from 'node:test';
import { run } from './harness.js';

test('natural end: LIFO with arguments, unregister, a throw reported and the rest still run', async () => {
  const r = await run('lifo.mjs');
  assert.equal(r.stdout, 'main done\nthree\ntwo\none 1\n');
  assert.match(r.stderr, /^Exception ignored in atexit callback bad:\nError: boom\n/);
  assert.deepEqual([r.status, r.signal], [0, null]);
});

for (const [how, code, status] of [['exit', 3, 3], ['exitCode', 4, 4], ['throw', 0, 1], ['reject', 0, 1]]) {
  test(`${how}: handlers run and the status is ${status}`, async () => {
    const r = await run('exit-code.mjs', { args: [how, String(code)] });
    assert.equal(r.stdout, 'handler\n');
    assert.deepEqual([r.status, r.signal], [status, null]);
    if (how === 'throw') assert.ok(r.stderr.indexOf('uncaught') >= 0);
  });
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  test(`${signal}: handlers run, async awaited, then death by ${signal}`, async () => {
    const r = await run('signal.mjs', { signals: [signal] });
    assert.equal(r.stdout, 'READY\nasync handler\nsync handler\n');
    assert.deepEqual([r.status, r.signal], [null, signal]);
  });
}
