/**
 * The embeddable widget: one ES module that defines <hearth-recs> and exports the Hearth API.
 * Embed: <script type="module" src="/hearth/hearth-widget.js"></script>
 *        <hearth-recs catalog="/catalog.json" limit="6" layout="grid" prompt="on"></hearth-recs>
 */

import engineWorkerUrl from '../../workers/engine.worker.ts?worker&url';
import { defineHearthElement } from './element.ts';
import { createHearth, type HearthApi } from './hearth.ts';
import type { HearthConfig } from './types.ts';
import { createWorkerClient, startWorker, workerUrl } from './worker-client.ts';

/** The page's single Hearth API instance; the worker (bundled by default) gets `models`/`wasm`. */
export const Hearth: HearthApi = createHearth((config: HearthConfig) =>
  createWorkerClient(startWorker(workerUrl(config.worker ?? engineWorkerUrl, config))),
);

defineHearthElement(Hearth);

export { defineHearthElement } from './element.ts';
export { createHearth, type HearthApi } from './hearth.ts';
export type * from './types.ts';
