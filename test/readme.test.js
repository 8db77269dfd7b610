// The README's and docs/'s examples, run as printed: the first example's output, and the demo's
// report of a failing handler, which docs/api.md quotes (with the clone's path shown as
// file:///app/); every TypeScript example compiles; every relative link resolves in the published
// package; the README and the declarations say the same of the deadline.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const api = readFileSync(join(root, 'docs', 'api.md'), 'utf8');
const pages = ['README.md', ...readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
const node = (args, cwd) => spawnSync(process.execPath, args, { cwd, encoding: 'utf8', env: { ...process.env, NODE_DEBUG: '' } });

test('README: the first example prints what its comments say, async handler first; the demo runs where the package is installed', () => {
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
    // "Try it" where the package is installed: the demo finds the package by its name.
    assert.match(readme, /^node node_modules\/atexit\/examples\/demo\.js /m);
    const demo = node(['node_modules/atexit/examples/demo.js'], dir);
    assert.deepEqual([demo.stdout.split('\n')[0], demo.status], ['3 handlers registered; the program now ends.', 0], demo.stderr);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("docs/api.md: the failing handler's report is exactly what npm run demo prints", () => {
  const quoted = /A handler that throws[\s\S]*?```\n([\s\S]*?)\n\s*```/.exec(api)[1].replace(/^ {2}/gm, '');
  const r = node(['examples/demo.js'], root);
  assert.equal(r.stderr, `${quoted.replace('file:///app/', pathToFileURL(root).href)}\n`);
  assert.equal(r.status, 0);
});

// Issue 15: every TypeScript example compiles as pasted into a module of its own (strict, NodeNext),
// against the built declarations, on the TypeScript the project builds with.
test('README and docs/api.md: every ```ts example compiles on its own, strict', () => {
  const blocks = [...`${readme}\n${api}`.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
  assert.ok(blocks.length >= 6, 'TypeScript examples found');
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

// Issue 28: the README is a guide, its reference in docs/, and both ship in the package (`files`):
// a relative link must reach a file the package contains, and an anchor a heading of that file.
test('README and docs/: every relative link resolves in the published package, anchors included', () => {
  const { files } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  // npm always packs these three; the rest must be under an entry of `files`.
  const shipped = (path) => ['README.md', 'LICENSE', 'package.json'].includes(path) || files.some((entry) => !entry.startsWith('!') && (path === entry || path.startsWith(`${entry}/`)));
  // GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens.
  const anchors = (text) => [...text.matchAll(/^#+ (.*)$/gm)].map((m) => m[1].toLowerCase().replace(/[^\w\- ]/g, '').replace(/ /g, '-'));
  let links = 0;
  for (const page of pages) {
    const text = readFileSync(join(root, page), 'utf8');
    for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/.test(target)) continue; // https:, mailto:
      links++;
      const [path, anchor] = target.split('#');
      const file = path ? relative(root, join(root, dirname(page), path)).replaceAll('\\', '/') : page;
      assert.ok(existsSync(join(root, file)), `${page}: ${target} does not exist`);
      assert.ok(shipped(file), `${page}: ${target} is not in the published package (package.json files)`);
      if (anchor) assert.ok(anchors(readFileSync(join(root, file), 'utf8')).includes(anchor), `${page}: no heading for #${anchor} in ${file}`);
    }
  }
  assert.ok(links >= 15, `links found: ${links}`);
});

test('README: a guide of at most 250 lines, its CLI and server recipes in the first 120', () => {
  const lines = readme.split('\n');
  assert.ok(lines.length <= 250, `${lines.length} lines`);
  for (const recipe of ['## A CLI with Ctrl+C', '## An HTTP server in Kubernetes or Docker']) {
    const at = lines.indexOf(recipe);
    assert.ok(at >= 0 && at < 120, `${recipe} at line ${at + 1}`);
  }
});

// Issue 28: the declaration's JSDoc (what an editor shows) and the README say the same of the
// deadline: it bounds the whole run, synchronous handlers included, and the rest still run.
test('the deadline: the README, docs/api.md and the declarations say the same', () => {
  const flat = (text) => text.replace(/\n\s*(\*\s*)?/g, ' ').replace(/\s+/g, ' ');
  const declarations = flat(readFileSync(join(root, 'dist', 'index.d.ts'), 'utf8'));
  const said = ['bounds the whole run of handlers, synchronous ones included', 'the remaining handlers still run, without being awaited'];
  for (const [where, text] of [['README.md', flat(readme)], ['docs/api.md', flat(api)], ['dist/index.d.ts', declarations]]) {
    for (const words of said) assert.ok(text.includes(words), `${where} does not say "${words}"`);
  }
  // Nothing says the deadline is for async handlers only, or that it skips handlers.
  for (const [where, text] of [['README.md', flat(readme)], ['dist/index.d.ts', declarations]]) {
    assert.doesNotMatch(text, /deadline (for|of) (the )?(whole run of )?async handlers|remaining handlers (are|were) skipped/, where);
  }
  const jsdoc = /\/\*\*((?:(?!\*\/)[\s\S])*)\*\/\s*deadline: number;/.exec(readFileSync(join(root, 'dist', 'index.d.ts'), 'utf8'))?.[1];
  assert.ok(jsdoc && flat(jsdoc).includes(said[0]), `Options.deadline's JSDoc: ${jsdoc}`);
});
