// A command-line program whose output is often cut short by its reader (`| head -1`): it prints
// 100 lines, and a handler prints a summary at the natural end, after the reader has gone.
import * as atexit from 'atexit';

atexit.register(() => console.log('summary: 100 lines'));
for (let i = 1; i <= 100; i++) console.log(`line ${i}`);
