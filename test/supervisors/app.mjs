// The program every supervisor fixture runs: a synchronous handler, an async one that awaits
// 300 ms, and a timer that keeps the program alive. Every line names the process, so that a
// restart's two instances can be told apart in one log. With SUPERVISED_PROBE=1 it loads no
// atexit and only records when each signal arrives (scripts/supervisors.js --gaps).
const pid = process.pid;
const now = () => (performance.timeOrigin + performance.now()).toFixed(2);

if (process.env.SUPERVISED_PROBE === '1') {
  let last;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGUSR2']) {
    process.on(signal, () => {
      console.log(`signal ${pid} ${signal} ${now()}`);
      // Ends by the last signal once no other came for 200 ms: a pair a few ms apart is seen whole.
      clearTimeout(last);
      last = setTimeout(() => {
        process.removeAllListeners(signal);
        process.kill(pid, signal);
      }, 200);
    });
  }
} else {
  const atexit = await import('atexit');
  atexit.register(function sync() {
    console.log(`sync ${pid}`);
  });
  atexit.register(async function awaited() {
    console.log(`async start ${pid} ${JSON.stringify(atexit.ending())}`);
    await new Promise((resolve) => setTimeout(resolve, 300));
    console.log(`async end ${pid}`);
  });
}
setInterval(() => {}, 1 << 30);
console.log(`READY ${pid}`);
