import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
const cjs = import.meta.resolve('tsx/esm/api'); console.log(cjs);
const code = `import('node:worker_threads').then(async ({ workerData }) => { if (workerData.tsx) { const { register } = await import(workerData.tsx); register(); } await import(workerData.entry); })`;
const w2 = new Worker(code, { eval: true, workerData: { n: 6, entry: new URL('./w.ts', import.meta.url).href, tsx: cjs } });
w2.on('message', (m) => { console.log('B msg', m.ok); w2.terminate(); });
w2.on('error', (e) => console.log('B error', e.message));
console.log(typeof (import.meta as any).resolve);
