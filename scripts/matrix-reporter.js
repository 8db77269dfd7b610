// A node:test reporter for scripts/matrix.js: one JSON line per finished test.
export default async function* reporter(source) {
  for await (const { type, data } of source) {
    if (type !== 'test:pass' && type !== 'test:fail') continue;
    const status = data.skip !== undefined || data.todo !== undefined ? 'skip' : type === 'test:pass' ? 'pass' : 'fail';
    const error = status === 'fail' ? String(data.details?.error?.cause ?? data.details?.error ?? '').split('\n').slice(0, 6).join('\n') : undefined;
    yield `${JSON.stringify({ name: data.name, file: data.file, nesting: data.nesting, status, error })}\n`;
  }
}
