// atexit in company (src/company.ts) and the drain before an end atexit decides (src/output.ts),
// on the runtime the harness selects. test/runtimes/runtimes.test.js runs the same fixtures on
// every runtime for docs/matrix.md's table; this file also covers damaged company.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { command, run, runtime } from './harness.js';

const fixture = (name) => `../runtimes/fixtures/${name}`;

test('SIGINT with signal-exit 3 and 4, when-exit and another major of atexit: all run, then SIGINT', { skip: runtime === 'deno' && 'Deno: see test/runtimes' }, async () => {
  const r = await run(fixture('company.mjs'), { args: ['major2', 'se4', 'se3', 'when-exit'], signals: ['SIGINT'] });
  assert.equal(
    r.stdout,
    'READY\nwhen-exit\natexit async (SIGINT)\natexit sync\natexit major 2 async (SIGINT)\nsignal-exit 4 (SIGINT)\nsignal-exit 3 (SIGINT)\n',
  );
  assert.deepEqual([r.status, r.signal, r.stderr], [null, 'SIGINT', '']);
});

// In a terminal the program leads its process group, so a repeated signal is never a relayed
// copy: a copy of atexit that re-raised while another still runs would cut that one short.
test('the same, the program leading its process group (a terminal\'s Ctrl+C to the group): only the last copy to finish re-raises', { skip: runtime === 'deno' && 'Deno: see test/runtimes' }, async () => {
  const [file, argv] = command(fileURLToPath(new URL('runtimes/fixtures/company.mjs', import.meta.url)), ['major2', 'se4', 'se3', 'when-exit']);
  const child = spawn(file, argv, { cwd: fileURLToPath(new URL('..', import.meta.url)), detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_DEBUG: '' } });
  const out = { stdout: '', stderr: '' };
  child.stderr.setEncoding('utf8').on('data', (chunk) => (out.stderr += chunk));
  let sent = false;
  child.stdout.setEncoding('utf8').on('data', (chunk) => {
    out.stdout += chunk;
    if (!sent && out.stdout.includes('READY\n')) {
      sent = true;
      process.kill(-child.pid, 'SIGINT');
    }
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  const [status, signal] = await new Promise((resolve) => child.on('close', (...end) => resolve(end)));
  clearTimeout(timer);
  assert.equal(out.stdout, 'READY\nwhen-exit\natexit async (SIGINT)\natexit sync\natexit major 2 async (SIGINT)\nsignal-exit 4 (SIGINT)\nsignal-exit 3 (SIGINT)\n');
  assert.deepEqual([status, signal, out.stderr], [null, 'SIGINT', '']);
});

test('atexit.exit(0) after a handler wrote 4 MB to pipes: every byte arrives', async () => {
  const r = await run(fixture('pipe.mjs'), { args: ['exit'] });
  const lines = Array.from({ length: 10_000 }, (_, i) => `${String(i).padStart(6, '0')} ${'x'.repeat(192)}\n`).join('');
  assert.equal(r.stdout, lines);
  assert.equal(r.stderr, lines);
  assert.deepEqual([r.status, r.signal], [0, null]);
});

for (const [how, stdout, status, signal] of [
  ['revoked-listener', 'READY\nhandler (error)\n', 1, null],
  ['trap-listener', 'READY\nprogram listener\nhandler (natural)\n', 0, null],
  ['emitter-throws', 'READY\nhandler (signal)\n', null, 'SIGTERM'],
  ['raising-taken', 'READY\nhandler (signal)\n', null, 'SIGTERM'],
  ['no-listeners', 'READY\nhandler (signal)\n', null, 'SIGTERM'],
  ['nothing-waits', 'handler (exit)\nafter atexit.exit()\n', 0, null],
  ['stdout-closes', 'handler (exit)\n', 0, null],
  ['stdout-sink', 'handler (exit)\nflushed\n', 0, null],
  ['stdout-hostile', 'handler (exit)\n', 0, null],
  ['stdout-stuck', 'handler (exit)\n', 0, null],
]) {
  test(`damaged company: ${how}`, async () => {
    const r = await run('hard-company.mjs', { args: [how], signals: stdout.startsWith('READY') ? ['SIGTERM'] : [] });
    assert.equal(r.stdout, stdout);
    assert.deepEqual([r.status, r.signal], [status, signal]);
    if (how === 'revoked-listener') assert.match(r.stderr, /revoked/);
    else assert.equal(r.stderr, '');
  });
}
