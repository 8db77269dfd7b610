// jsr.json (Deno users add the package from JSR) stays in step with package.json.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

const read = (file) => JSON.parse(readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8'));

test('jsr.json: same version as package.json, exports the Deno build, which names its types', () => {
  const jsr = read('jsr.json');
  const pkg = read('package.json');
  assert.equal(jsr.version, pkg.version);
  assert.equal(jsr.exports, pkg.exports['.'].deno.default);
  assert.ok(jsr.publish.include.includes(jsr.exports.replace(/^\.\//, '')));
  const banner = readFileSync(new URL(`../../${jsr.exports}`, import.meta.url), 'utf8').split('\n', 1)[0];
  assert.equal(banner, '/* @ts-self-types="../src/index.ts" */');
});
