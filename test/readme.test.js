// The README's examples, run as printed: the first example's output, and the demo's report of a
// failing handler, which the README quotes (with the clone's path shown as file:///app/).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const node = (args, cwd) => spawnSync(process.execPath, args, { cwd, encoding: 'utf8', env: { ...process.env, NODE_DEBUG: '' } });

test('README: the first example prints what its comments say, async handler first', () => {
  const code = /```js\n([\s\S]*?)```/.exec(readme)[1];
  assert.match(code, /^import \* as atexit from 'atexit';/);
  const dir = mkdtempSync(join(tmpdir(), 'atexit-readme-'));
  try {
    mkdirSync(join(dir, 'node_modules'));
    symlinkSync(root, join(dir, 'node_modules', 'atexit'), 'junction');
    writeFileSync(join(dir, 'example.mjs'), code);
    // The same code with the default import.
    writeFileSync(join(dir, 'default.mjs'), code.replace("import * as atexit from 'atexit';", "import atexit from 'atexit';"));
    for (const file of ['example.mjs', 'default.mjs']) {
      const r = node([file], dir);
      assert.deepEqual([r.stdout, r.stderr, r.status], ['flushed\ngoodbye world\n', '', 0], file);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("README: the failing handler's report is exactly what npm run demo prints", () => {
  const quoted = /A handler that throws[\s\S]*?```\n([\s\S]*?)\n\s*```/.exec(readme)[1].replace(/^ {2}/gm, '');
  const r = node(['examples/demo.js'], root);
  assert.equal(r.stderr, `${quoted.replace('file:///app/', pathToFileURL(root).href)}\n`);
  assert.equal(r.status, 0);
});

// Issue 15: every TypeScript example compiles as pasted into a module of its own (strict, NodeNext),
// against the built declarations, on the TypeScript the project builds with.
test('README: every ```ts example compiles on its own, strict', () => {
  const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
  assert.ok(blocks.length >= 2, 'TypeScript examples found');
  const dir = mkdtempSync(join(tmpdir(), 'atexit-readme-ts-'));
  try {
    mkdirSync(join(dir, 'node_modules', '@types'), { recursive: true });
    symlinkSync(root, join(dir, 'node_modules', 'atexit'), 'junction');
    symlinkSync(join(root, 'node_modules', '@types', 'node'), join(dir, 'node_modules', '@types', 'node'), 'junction');
    writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
    const files = blocks.map((code, i) => {
      writeFileSync(join(dir, `example${i}.ts`), code);
      return `example${i}.ts`;
    });
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    const options = ['--noEmit', '--strict', '--target', 'ES2022', '--module', 'NodeNext', '--moduleResolution', 'NodeNext', '--types', 'node', '--pretty', 'false'];
    const r = spawnSync(process.execPath, [tsc, ...options, ...files], { cwd: dir, encoding: 'utf8' });
    const shown = r.stdout.replace(/^example(\d+)\.ts/gm, (_, i) => `[example ${i}: ${blocks[i].split('\n')[0]}] `);
    assert.equal(shown, '');
    assert.equal(r.status, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
