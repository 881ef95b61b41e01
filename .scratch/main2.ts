import { Worker } from 'node:worker_threads';
const w = new Worker(new URL('./w.ts', import.meta.url), { workerData: { n: 5 }, execArgv: ['--import', 'tsx'] });
w.on('message', (m) => { console.log('A msg', m); w.terminate(); });
w.on('error', (e) => console.log('A error', e.message));
const code = `import { register } from 'tsx/esm/api'; register(); const { workerData } = await import('node:worker_threads'); await import(workerData.entry);`;
const w2 = new Worker(code, { eval: true, workerData: { n: 6, entry: new URL('./w.ts', import.meta.url).href } } as any);
w2.on('message', (m) => { console.log('B msg', m); w2.terminate(); });
w2.on('error', (e) => console.log('B error', e.message));
