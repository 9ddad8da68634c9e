/**
 * The embeddable widget: one ES module that defines <hearth-recs> and exports the Hearth API.
 * Embed: <script type="module" src="/hearth/hearth-widget.js"></script>
 *        <hearth-recs catalog="/catalog.json" limit="6" layout="grid" prompt="on"></hearth-recs>
 */
import { defineHearthElement } from './element.ts';
import { createHearth, type HearthApi } from './hearth.ts';
import type { HearthConfig } from './types.ts';
import { createWorkerClient, startWorker } from './worker-client.ts';

/** The default engine worker bundled with the widget (Vite emits it as a separate chunk). */
function defaultWorker(): Worker {
  return new Worker(new URL('../../workers/engine.worker.ts', import.meta.url), {
    type: 'module',
    name: 'hearth-engine',
  });
}

/** The page's single Hearth API instance. */
export const Hearth: HearthApi = createHearth((config: HearthConfig) =>
  createWorkerClient(config.worker === undefined ? defaultWorker() : startWorker(config.worker)),
);

defineHearthElement(Hearth);

export { defineHearthElement } from './element.ts';
export { createHearth, type HearthApi } from './hearth.ts';
export type * from './types.ts';
