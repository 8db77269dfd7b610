// Child process for the signal latency bench: one handler, a timer keeping the program alive,
// `ready` once listening. The parent sends the signal and times it to the exit.
//   node bench/signal-child.js atexit-sync|atexit-async|signal-exit
import { writeSync } from 'node:fs';

const [name] = process.argv.slice(2);
setInterval(() => {}, 1_000);
if (name === 'signal-exit') {
  const { onExit } = await import('signal-exit');
  onExit(() => {
    writeSync(1, 'handler\n');
  });
} else {
  const atexit = await import('atexit');
  if (name === 'atexit-async') {
    atexit.register(async () => {
      await null;
      writeSync(1, 'handler\n');
    });
  } else {
    atexit.register(() => {
      writeSync(1, 'handler\n');
    });
  }
}
writeSync(1, 'ready\n');
