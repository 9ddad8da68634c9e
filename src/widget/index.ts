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

/**
 * The page's single Hearth API instance. The bundled worker sits in the build's `assets/`
 * folder; without `models`/`wasm` it finds `../models/` and `../ort/` next to it, so a build
 * served under any path (e.g. `/vendor/`) works as it is.
 */
export const Hearth: HearthApi = createHearth((config: HearthConfig) => {
  const url = workerUrl(config.worker ?? engineWorkerUrl, config);
  return createWorkerClient(startWorker(url), url);
});

defineHearthElement(Hearth);

export { defineHearthElement } from './element.ts';
export { createHearth, type HearthApi } from './hearth.ts';
export { DEFAULT_STRINGS } from './strings.ts';
export type * from './types.ts';
