import { Worker } from 'node:worker_threads';
const hasTsx = process.execArgv.some((a) => a.includes('tsx'));
console.log('execArgv', process.execArgv);
const w = new Worker(new URL('./w.ts', import.meta.url), { workerData: { n: 5 }, execArgv: hasTsx ? undefined : [...process.execArgv, '--import', 'tsx'] });
w.on('message', (m) => { console.log('msg', m); w.terminate(); });
w.on('error', (e) => console.log('error', e.message));
