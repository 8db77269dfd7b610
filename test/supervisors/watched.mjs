// The program of the in-process watch-mode fixtures (`deno run --watch`, `bun --watch`, `bun
// --hot`): as app.mjs, but these restart the program inside the same process, so every line
// names the instance (a random number drawn at each evaluation) instead of the pid.
// Loaded by path: Deno does not resolve the package from a program outside the project.
const atexit = await import(typeof Deno === 'object' ? '../../dist/deno.js' : '../../dist/index.js');
const id = String(Math.random()).slice(2, 10);
atexit.register(function sync() {
  console.log(`sync ${id}`);
});
atexit.register(async function awaited() {
  console.log(`async start ${id} ${JSON.stringify(atexit.ending())}`);
  await new Promise((resolve) => setTimeout(resolve, 300));
  console.log(`async end ${id}`);
});
setInterval(() => {}, 1 << 30);
console.log(`READY ${id}`);
