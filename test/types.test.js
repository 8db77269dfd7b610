// Type tests (test/types.ts, compiled by tsc against the built declarations) and the TC39
// decorator at run time (test/fixtures/decorator.ts compiled by tsc, run as a child process).
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { command } from './harness.js';
import { missing, where } from '../scripts/runtimes.js';

const root = fileURLToPath(new URL('..', import.meta.url));
/** The tsc of `typescript`: the project's own, or TypeScript 5.0 and 7 from scripts/runtimes.js's cache. */
const tscFile = (typescript) => (typescript === 'typescript' ? join(root, 'node_modules', 'typescript', 'bin/tsc') : where(typescript));
const tsc = (args, typescript = 'typescript') => spawnSync(process.execPath, [tscFile(typescript), ...args], { cwd: root, encoding: 'utf8' });
/** For a test's skip option: TypeScript 5.0 and 7 are fetched by `npm run runtimes`, not installed. */
const absent = (typescript) => typescript !== 'typescript' && missing(typescript);

// The oldest TypeScript supported (5.0: package.json's `types@<5.4` conditions give it
// declarations without NoInfer), the one the project builds with, and TypeScript 7.
const VERSIONS = [
  ['typescript50', '5.0'],
  ['typescript', '5.9'],
  ['typescript7', '7.0'],
];

for (const [typescript, version] of VERSIONS) {
  test(`types, TypeScript ${version}: test/types.ts and types-cjs.cts compile against the built declarations with no diagnostic`, { skip: absent(typescript) }, () => {
    assert.match(tsc(['--version'], typescript).stdout, new RegExp(`^Version ${version.replace('.', '\\.')}\\.`));
    const r = tsc(['-p', 'test/tsconfig.json', '--pretty', 'false'], typescript);
    assert.equal(r.stdout + r.stderr, '');
    assert.equal(r.status, 0);
  });

  test(`types, TypeScript ${version}: a wrong argument to a handler is reported as such, not as the decorator overload's error`, { skip: absent(typescript) }, () => {
    const options = ['--noEmit', '--strict', '--module', 'NodeNext', '--moduleResolution', 'NodeNext', '--types', 'node', '--pretty', 'false'];
    const r = tsc([...(typescript === 'typescript7' ? ['--ignoreConfig'] : []), ...options, 'test/fixtures/types-wrong-argument.ts'], typescript);
    const errors = r.stdout.split('\n').filter((line) => /error TS/.test(line));
    assert.equal(errors.length, 2, r.stdout);
    assert.match(errors[0], /\(6,\d+\): error TS(2345|2769)/);
    assert.match(errors[1], /\(7,\d+\): error TS2345: Argument of type .*(number|2).* is not assignable to parameter of type .*string/);
    // What the reader is shown for the one-argument call names the handler's parameters
    // (TypeScript 5.0 reports only the decorator overload there, whatever the order).
    const first = r.stdout.slice(r.stdout.indexOf(errors[0]), r.stdout.indexOf(errors[1]));
    if (version !== '5.0') assert.match(first, /not assignable to parameter of type '\[a: number, b: string\]'/, first);
  });
}

for (const [typescript, version] of VERSIONS) {
  test(`types, TypeScript ${version}: without lib esnext.disposable nor @types/node, use() takes objects and refuses 42`, { skip: absent(typescript) }, () => {
    const options = ['--noEmit', '--strict', '--lib', 'es2022', '--module', 'NodeNext', '--moduleResolution', 'NodeNext', '--typeRoots', 'test/fixtures/no-type-roots', '--pretty', 'false'];
    const r = tsc([...(typescript === 'typescript7' ? ['--ignoreConfig'] : []), ...options, 'test/fixtures/types-no-disposable.ts'], typescript);
    assert.equal(r.stdout + r.stderr, '');
    assert.equal(r.status, 0);
  });
}

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

// `moduleResolution: node10` reads no `exports`: package.json's typesVersions sends TypeScript
// before 5.4 to the declarations without NoInfer there too.
for (const [typescript, version] of VERSIONS.filter(([name]) => name !== 'typescript7')) {
  test(`types, TypeScript ${version}, moduleResolution node10: arguments checked, no diagnostic from the declarations`, { skip: absent(typescript) }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'atexit-node10-'));
    try {
      mkdirSync(join(dir, 'node_modules'));
      symlinkSync(root, join(dir, 'node_modules', 'atexit'), 'junction');
      writeFileSync(
        join(dir, 'a.ts'),
        "import atexit = require('atexit');\nconst add = (a: number, b: string): string => a + b;\natexit.register(add, 1, 'x');\n// @ts-expect-error a wrong argument\natexit.register(add, 1, 2);\n",
      );
      const r = spawnSync(
        process.execPath,
        [tscFile(typescript), '--noEmit', '--strict', '--module', 'commonjs', '--moduleResolution', 'node', '--types', 'node', '--typeRoots', join(root, 'node_modules/@types'), '--pretty', 'false', 'a.ts'],
        { cwd: dir, encoding: 'utf8' },
      );
      assert.equal(r.stdout + r.stderr, '');
      assert.equal(r.status, 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

// Issue 15: a consumer gets one declaration file per format (and the TypeScript < 5.4 variant),
// with the public surface only.
test('declarations: dist has one bundled file per format and the <5.4 variants, and no internal type', () => {
  const files = readdirSync(join(root, 'dist')).filter((f) => /\.d\.c?ts$/.test(f)).sort();
  assert.deepEqual(files, ['index-ts5.0.d.cts', 'index-ts5.0.d.ts', 'index.d.cts', 'index.d.ts']);
  for (const file of files) {
    const text = readFileSync(join(root, 'dist', file), 'utf8');
    assert.doesNotMatch(text, /\b(Shared|Adapter|Registry|Host|Outcome|ExitRequest|Drain)\b/, file);
    assert.doesNotMatch(text, /from '\.\.?\//, `${file} imports nothing of its own`);
  }
});

// What an editor shows on hover for each export (TypeScript's language service): the whole text,
// and only the tags written (an `@` inside an example must not start a tag of its own).
test('hover: every export shows its whole TSDoc, with only @example and @throws tags and closed code fences', async () => {
  const { default: ts } = await import('typescript');
  const names = Object.keys(await import('atexit')).filter((name) => name !== 'default');
  const text = `import * as atexit from 'atexit';\nimport main from 'atexit';\nmain;\n${names.map((name) => `atexit.${name};`).join('\n')}\n`;
  const me = join(root, 'test', 'hover.ts');
  const host = {
    getScriptFileNames: () => [me],
    getScriptVersion: () => '1',
    getScriptSnapshot: (f) => (f === me ? ts.ScriptSnapshot.fromString(text) : ts.sys.fileExists(f) ? ts.ScriptSnapshot.fromString(ts.sys.readFile(f)) : undefined),
    getCurrentDirectory: () => root,
    getCompilationSettings: () => ({ module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, strict: true, types: [] }),
    getDefaultLibFileName: (o) => ts.getDefaultLibFilePath(o),
    fileExists: (f) => f === me || ts.sys.fileExists(f),
    readFile: (f) => (f === me ? text : ts.sys.readFile(f)),
  };
  const service = ts.createLanguageService(host);
  assert.ok(names.length >= 8, names.join());
  for (const name of [...names.map((n) => `atexit.${n}`), 'main']) {
    const info = service.getQuickInfoAtPosition(me, text.indexOf(`\n${name};`) + name.length);
    const docs = ts.displayPartsToString(info?.documentation ?? []);
    assert.ok(docs.length > 20, `${name}: no documentation`);
    for (const tag of info.tags ?? []) {
      assert.ok(['example', 'throws'].includes(tag.name), `${name}: a stray tag @${tag.name}`);
      const body = ts.displayPartsToString(tag.text ?? []);
      if (tag.name === 'example') assert.equal(body.split('```').length % 2, 1, `${name}: an unclosed fence in @example:\n${body}`);
    }
  }
});
