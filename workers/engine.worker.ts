/** The engine worker entry: see `src/worker/create-engine-worker.ts`. */
import { expose } from 'comlink';
import { workerConfigFromUrl } from '../src/worker/config.ts';
import { createEngineWorker } from '../src/worker/create-engine-worker.ts';

expose(createEngineWorker(workerConfigFromUrl(self.location.href)));
