// Type tests (test/types.ts, compiled by tsc against the built declarations) and the TC39
// decorator at run time (test/fixtures/decorator.ts compiled by tsc, run as a child process).
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { command } from './harness.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const tsc = (args) => spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), ...args], { cwd: root, encoding: 'utf8' });

test('types: test/types.ts compiles against the built declarations with no diagnostic', () => {
  const r = tsc(['-p', 'test/tsconfig.json', '--pretty', 'false']);
  assert.equal(r.stdout + r.stderr, '');
  assert.equal(r.status, 0);
});

test('decorator: @atexit.register on a static method runs at exit with this === its class; unregister(Class.method) removes it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'atexit-decorator-'));
  try {
    const out = join(dir, 'out');
    const r = tsc([
      '--pretty', 'false', '--strict', '--target', 'ES2022', '--module', 'NodeNext', '--moduleResolution', 'NodeNext',
      '--types', 'node', '--skipLibCheck', '--rootDir', 'test/fixtures', '--outDir', out, 'test/fixtures/decorator.ts',
    ]);
    assert.equal(r.stdout + r.stderr, '');
    assert.equal(r.status, 0);
    writeFileSync(join(out, 'package.json'), '{ "type": "module" }\n');
    mkdirSync(join(out, 'node_modules'));
    symlinkSync(root, join(out, 'node_modules', 'atexit'), 'junction');
    const [file, argv] = command(join(out, 'decorator.js'));
    const child = spawn(file, argv, { cwd: out, env: { ...process.env, NODE_DEBUG: '' } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk) => (stderr += chunk));
    const [status, signal] = await new Promise((resolve) => child.on('close', (...end) => resolve(end)));
    assert.equal(
      stdout,
      'registered 5\nafter unregister 4\nplain with an argument: this is undefined\nflush: this is Cache\nclose: this is Db (Db)\nplain: this is undefined\n',
    );
    assert.equal(stderr, '');
    assert.deepEqual([status, signal], [0, null]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
