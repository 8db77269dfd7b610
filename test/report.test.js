// The default reporter's traceback shows the handler's frames only (as Python's does): none of
// the package's frames that called the handler, nor the runtime's dispatch frames below them.
// Each case runs test/fixtures/report-stack.* as a child process, on every runtime, as ESM, as
// CommonJS, and bundled together with the package into one file.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { missing, where } from '../scripts/runtimes.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const RUNTIMES = {
  node: (file) => [process.execPath, [file]],
  deno: (file) => [where('deno'), ['run', '-A', '--quiet', file]],
  bun: (file) => [where('bun'), [file]],
};

/** Runs `file` and returns its reports as { handler: [frame, …] }, each frame `name file:line`. */
function reports(runtime, file) {
  const [command, args] = RUNTIMES[runtime](file);
  const r = spawnSync(command, args, { cwd: root, encoding: 'utf8', env: { ...process.env, NODE_DEBUG: '' } });
  assert.deepEqual([r.status, r.signal], [0, null], r.stderr);
  const found = {};
  for (const block of r.stderr.split(/^(?=Exception ignored)/m)) {
    const [header, message, ...frames] = block.trimEnd().split('\n');
    const name = /^Exception ignored in atexit callback (\w+):$/.exec(header)?.[1];
    assert.ok(name, `a report header: ${block}`);
    assert.match(message, /^Error: thrown /);
    found[name] = frames.map((line) => {
      const m = /^ {4}at (\S+) \((?:file:\/\/)?(.+):(\d+):\d+\)$/.exec(line);
      assert.ok(m, `a frame line: ${JSON.stringify(line)} in\n${block}`);
      return `${m[1]} ${m[2].replace(/^.*\//, '')}:${m[3]}`;
    });
  }
  return found;
}

const expected = (file) => ({
  nested: [`inner ${file}:6`, `nested ${file}:20`],
  early: [`early ${file}:12`],
  outer: [`inner ${file}:6`, `outer ${file}:9`],
  late: [`late ${file}:16`],
});

for (const runtime of Object.keys(RUNTIMES)) {
  for (const file of ['report-stack.mjs', 'report-stack.cjs']) {
    test(`${runtime}, ${file}: the reported stack is the handler's frames only`, { skip: runtime !== 'node' && missing(runtime) }, () => {
      assert.deepEqual(reports(runtime, join(root, 'test/fixtures', file)), expected(file));
    });
  }
}

test('bundled into one file with the handlers: the handler frames stay, the package frames go', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'atexit-report-'));
  try {
    const outfile = join(dir, 'app.mjs');
    await build({ entryPoints: [join(root, 'test/fixtures/report-stack.mjs')], bundle: true, format: 'esm', platform: 'node', outfile, logLevel: 'silent' });
    const found = reports('node', outfile);
    // Line numbers are the bundle's: compare the names.
    const names = (frames) => frames.map((frame) => frame.split(' ')[0]);
    assert.deepEqual(names(found.outer), ['inner', 'outer']);
    assert.deepEqual(names(found.early), ['early']);
    assert.deepEqual(names(found.late), ['late']);
    // Deeper than the stack trace limit (10 frames), the cut falls back to the bundle's file:
    // the handler's top frame always stays.
    assert.equal(names(found.nested)[0], 'inner');
    assert.ok(names(found.nested).every((name) => name === 'inner' || name === 'nested'), found.nested.join('\n'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a stack that is not a string (Error.prepareStackTrace returning the frames): the report still prints', async () => {
  const { default: atexit } = await import('atexit');
  const printed = [];
  const error = console.error;
  const prepare = Error.prepareStackTrace;
  console.error = (text) => printed.push(text);
  Error.prepareStackTrace = (_error, frames) => frames; // as some call-site libraries do
  try {
    atexit.register(function bad() {
      throw new Error('boom');
    });
    await atexit.runExitFuncs();
  } finally {
    Error.prepareStackTrace = prepare;
    console.error = error;
  }
  assert.deepEqual(printed, ['Exception ignored in atexit callback bad:\nError: boom']);
});

// Issue 15: a failure thrown by the call itself has no frame of the handler's: none of the
// package's is shown instead. Under NODE_DEBUG=atexit the trace line says where the handler was
// registered, which is all that can place an anonymous rejection or a bound class.
for (const runtime of Object.keys(RUNTIMES)) {
  for (const debug of ['', 'atexit']) {
    test(`${runtime}${debug ? ', NODE_DEBUG=atexit' : ''}: a class behind bind() and an anonymous rejection: no package frame${debug ? '; the trace line names the registration site' : ''}`, { skip: runtime !== 'node' && missing(runtime) }, () => {
      const [command, args] = RUNTIMES[runtime](join(root, 'test/fixtures/report-nowhere.mjs'));
      const r = spawnSync(command, args, { cwd: root, encoding: 'utf8', env: { ...process.env, NODE_DEBUG: debug } });
      assert.deepEqual([r.status, r.signal], [0, null], r.stderr);
      const lines = r.stderr.trimEnd().split('\n').filter((line) => !/^ATEXIT \d+: /.test(line));
      assert.deepEqual(lines.slice(0, 3), ['Exception ignored in atexit callback <anonymous>:', '{"code":42}', 'Exception ignored in atexit callback bound Bar:']);
      assert.match(lines[3], /^TypeError: .*\bBar\b/);
      // Bun adds a frame of its own for the constructor (`at Bar (unknown:1:11)`): not the package's.
      assert.deepEqual(lines.slice(4).filter((line) => !(runtime === 'bun' && /^ {4}at Bar \(unknown:/.test(line))), [], r.stderr);
      const traces = r.stderr.split('\n').filter((line) => /^ATEXIT \d+: /.test(line));
      if (!debug) return assert.deepEqual(traces, []);
      assert.equal(traces.length, 2, r.stderr);
      assert.match(traces[0], /^ATEXIT \d+: <anonymous> failed \(registered at (file:\/\/)?\/.*report-nowhere\.mjs:7:\d+\) after /);
      assert.match(traces[1], /^ATEXIT \d+: bound Bar failed \(registered at (file:\/\/)?\/.*report-nowhere\.mjs:6:\d+\) after /);
    });
  }
}

test('a handler registered while handlers run is said not to run, in one line, with or without NODE_DEBUG=atexit', () => {
  for (const debug of ['atexit', '']) {
    const r = spawnSync(process.execPath, [join(root, 'test/fixtures/register-late.mjs')], { cwd: root, encoding: 'utf8', env: { ...process.env, NODE_DEBUG: debug } });
    assert.deepEqual([r.status, r.signal, r.stdout], [0, null, 'early ran\nncallbacks 1\n']);
    const said = r.stderr.split('\n').filter((line) => / late /.test(line));
    assert.equal(said.length, 1, r.stderr);
    assert.match(said[0], /^atexit: late \(registered at \S*register-late\.mjs:5:\d+\) was registered while handlers ran: it did not run$/);
    if (!debug) assert.equal(r.stderr, `${said[0]}\n`);
  }
});
