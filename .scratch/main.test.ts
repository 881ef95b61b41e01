import { it, expect } from 'vitest';
import { Worker } from 'node:worker_threads';
it('worker', async () => {
  const hasTsx = process.execArgv.some((a) => a.includes('tsx'));
  const w = new Worker(new URL('./w.ts', import.meta.url), { workerData: { n: 5 }, execArgv: hasTsx ? undefined : [...process.execArgv, '--import', 'tsx'] });
  const m = await new Promise((res, rej) => { w.on('message', res); w.on('error', rej); });
  console.log(process.execArgv, m);
  await w.terminate();
});
