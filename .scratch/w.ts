import { parentPort, workerData } from 'node:worker_threads';
import { genesisHash } from '../src/modules/audit/audit-hash';
const x: number = workerData.n;
parentPort!.postMessage({ ok: genesisHash('a'), x, m: new Map([['a', 1]]) });
