// The browser build in real headless Chromium (driven by playwright-core):
// a page registers handlers that record into localStorage, the test navigates away, and a
// second page of the same origin reads the record. Skips, saying how to get one, when no
// Chromium is found (CHROMIUM_PATH, or chromium / chromium-browser / google-chrome on PATH).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { test } from 'node:test';
import { ADVICE, findChromium } from '../scripts/chromium.js';

const chromium = findChromium();
const skip = !chromium && `no Chromium found: ${ADVICE}`;

const first = `<!doctype html><title>first</title><script type="module">
import * as atexit from '/atexit.js';
const record = (...entry) => {
  const log = JSON.parse(localStorage.getItem('log') ?? '[]');
  log.push(entry);
  localStorage.setItem('log', JSON.stringify(log));
};
const error = console.error;
console.error = (...args) => (record('console.error', args.join(' ')), error(...args));
atexit.register((...args) => record('first', ...args), 1, { two: 2 });
atexit.register(function bad() {
  throw new Error('boom');
});
atexit.register(async function later() {
  record('later started');
  await new Promise(() => {});
});
atexit.register(() => record('last', atexit.ending()));
atexit.use({ name: 'resource', [Symbol.dispose]() { record('disposed', this.name); } });
window.atexit = atexit;
window.ready = true;
</script>`;
const second = '<!doctype html><title>second</title>';
const graceful = `<!doctype html><title>graceful</title><script type="module">
import * as atexit from '/atexit.js';
window.log = [];
atexit.register(() => log.push('sync'));
atexit.register(async () => {
  await new Promise((resolve) => setTimeout(resolve, 20));
  log.push(['async', atexit.ending()]);
});
atexit.exit(3).then(() => log.push('settled'), () => log.push('settled'));
window.atexit = atexit;
</script>`;
const pages = { '/first.html': first, '/second.html': second, '/graceful.html': graceful };

function serve() {
  const bundle = readFileSync(new URL('../dist/browser.js', import.meta.url));
  const server = createServer((req, res) => {
    const [type, body] = req.url === '/atexit.js' ? ['text/javascript', bundle] : ['text/html', pages[req.url] ?? second];
    res.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' }).end(body);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/** Runs `body(page, origin)` in a fresh headless Chromium with the test server. */
async function withPage(body) {
  const { chromium: launcher } = await import('playwright-core');
  const server = await serve();
  const browser = await launcher.launch({
    executablePath: chromium,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    await body(await browser.newPage(), `http://127.0.0.1:${server.address().port}`);
  } finally {
    await browser.close();
    server.close();
  }
}

test('[graceful] browser: atexit.exit() runs the handlers, awaiting, and the page stays (the promise never settles); no signals', { skip, timeout: 60_000 }, async () => {
  await withPage(async (page, origin) => {
    await page.goto(`${origin}/graceful.html`);
    await page.waitForFunction(() => window.log?.length === 2);
    await page.evaluate(() => new Promise((resolve) => setTimeout(resolve, 50)));
    const seen = await page.evaluate(() => [window.log, window.atexit.ncallbacks(), document.title]);
    assert.deepEqual(seen, [[['async', { reason: 'exit', code: 3 }], 'sync'], 0, 'graceful']);
    // A page gets no signals: it listens to none, and keeps a list it is given without using it.
    const signals = await page.evaluate(() => {
      const { atexit } = window;
      const before = atexit.configure().signals;
      let refused = '';
      try {
        atexit.configure({ signals: 'SIGTERM' });
      } catch (error) {
        refused = error.constructor.name;
      }
      return [before, atexit.configure({ signals: ['SIGQUIT', 'SIGQUIT'] }).signals, refused];
    });
    assert.deepEqual(signals, [[], ['SIGQUIT'], 'TypeError']);
  });
});

test('[pagehide] browser: handlers run once on a pagehide that is not persisted, LIFO, with arguments; a resource use() took is disposed with them', { skip, timeout: 60_000 }, async () => {
  await withPage(async (page, origin) => {
    await page.goto(`${origin}/first.html`);
    await page.waitForFunction(() => window.ready === true);
    assert.equal(await page.evaluate(() => typeof process + typeof Deno), 'undefinedundefined');

    // Kept in the back/forward cache: the page may come back, so nothing runs yet.
    const kept = await page.evaluate(() => {
      dispatchEvent(new PageTransitionEvent('pagehide', { persisted: true }));
      return [localStorage.getItem('log'), window.atexit.ncallbacks()];
    });
    assert.deepEqual(kept, [null, 5]);

    await page.goto(`${origin}/second.html`);
    const log = await page.evaluate(() => JSON.parse(localStorage.getItem('log') ?? '[]'));
    assert.equal(log.length, 6, JSON.stringify(log));
    assert.deepEqual(log[0], ['disposed', 'resource']);
    assert.deepEqual(log[1], ['last', { reason: 'pagehide' }]);
    assert.deepEqual(log[2], ['later started']);
    assert.equal(log[3][0], 'console.error');
    assert.equal(log[3][1], 'atexit: later returned a promise that cannot be awaited: the page is going away');
    assert.equal(log[4][0], 'console.error');
    // The handler's frame only: not the package's, nor the pagehide dispatch below it.
    assert.match(log[4][1], /^Exception ignored in atexit callback bad:\nError: boom\n {4}at bad \(http:\/\/127\.0\.0\.1:\d+\/first\.html:12:\d+\)$/);
    assert.deepEqual(log[5], ['first', 1, { two: 2 }]);
  });
});
