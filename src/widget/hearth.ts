/**
 * The page-side Hearth API (`Hearth.init/track/recommend/forget/ledger`). It owns one client
 * (the engine worker); init is cached so every element and caller shares one load.
 */

import { catalogReportLines, hasCatalogErrors } from '../catalog/report.ts';
import { requestPersistentStorage } from '../store/persist.ts';
import { HearthConfigError, WIDGET_MESSAGES } from './errors.ts';
import { checkStrings, explanationOverrides, type HearthStrings } from './strings.ts';
import type {
  CatalogReportDetail,
  HearthClient,
  HearthConfig,
  InitResult,
  Progress,
  Recommendation,
  RecommendRequest,
  TrackEvent,
} from './types.ts';

/**
 * Events: `progress` (detail Progress), `changed` (after track/forget), `error` (detail Error),
 * `catalog` (detail CatalogReportDetail, after every catalog parse).
 */
export interface HearthApi
  extends EventTarget,
    Pick<
      HearthClient,
      'track' | 'forget' | 'ledger' | 'storage' | 'setConsent' | 'flush' | 'train' | 'contribute'
    > {
  readonly ready: boolean;
  readonly lastProgress: Progress | undefined;
  /** The page-wide wording given to `init` (overrides of the defaults only). */
  readonly strings: Partial<HearthStrings>;
  /** The report of the last catalog parse, once there is one. */
  readonly catalogReport: CatalogReportDetail | undefined;
  init(config: HearthConfig): Promise<InitResult>;
  recommend(request?: Partial<RecommendRequest>): Promise<Recommendation[]>;
  item(id: string): Promise<Recommendation['item'] | undefined>;
}

/** Creates the API over a client factory (the worker client in pages, a fake in tests). */
export function createHearth(makeClient: (config: HearthConfig) => HearthClient): HearthApi {
  const target = new EventTarget();
  let client: HearthClient | undefined;
  let loading: Promise<InitResult> | undefined;
  let ready = false;
  let lastProgress: Progress | undefined;
  let strings: Partial<HearthStrings> = {};
  let catalogReport: CatalogReportDetail | undefined;

  const need = async (): Promise<HearthClient> => {
    if (loading === undefined || client === undefined)
      throw new HearthConfigError(WIDGET_MESSAGES.notInitialised);
    await loading;
    return client;
  };
  const changed = () => target.dispatchEvent(new Event('changed'));
  /** Every parse's report as an event; one console summary when items were skipped or changed. */
  const reported = (detail: CatalogReportDetail) => {
    catalogReport = detail;
    const { report } = detail;
    if (hasCatalogErrors(report) || report.warnings > 0) {
      console.warn(`Hearth catalog ${detail.url}: ${catalogReportLines(report).join('\n')}`);
    }
    target.dispatchEvent(new CustomEvent('catalog', { detail }));
  };

  // Object.assign would snapshot getters, so the live state is defined as accessors.
  Object.defineProperties(target, {
    ready: { get: () => ready },
    lastProgress: { get: () => lastProgress },
    strings: { get: () => strings },
    catalogReport: { get: () => catalogReport },
  });
  const api: HearthApi = Object.assign(
    target as EventTarget & Pick<HearthApi, 'ready' | 'lastProgress' | 'strings' | 'catalogReport'>,
    {
      init(config: HearthConfig): Promise<InitResult> {
        if (loading !== undefined) return loading;
        if (!config?.catalog)
          return Promise.reject(new HearthConfigError(WIDGET_MESSAGES.missingCatalog));
        // persist() can only be asked from the page, not the worker; the answer is advisory.
        void requestPersistentStorage();
        strings = checkStrings(config.strings ?? {}, (m) => console.warn(m));
        const created = makeClient(config);
        client = created;
        lastProgress = { stage: 'model', done: 0, total: 0 };
        target.dispatchEvent(new CustomEvent('progress', { detail: lastProgress }));
        loading = created
          .init(
            config,
            (progress) => {
              lastProgress = progress;
              target.dispatchEvent(new CustomEvent('progress', { detail: progress }));
            },
            changed,
            reported,
          )
          .then((result) => {
            ready = true;
            return result;
          })
          .catch((error: unknown) => {
            // A failed load can be retried: drop the cached promise and the client.
            loading = undefined;
            client = undefined;
            created.dispose();
            target.dispatchEvent(new CustomEvent('error', { detail: error }));
            throw error;
          });
        return loading;
      },
      async recommend(request: Partial<RecommendRequest> = {}) {
        const c = await need();
        // The page-wide explanation templates, then this request's (an element's own).
        const wording = { ...explanationOverrides(strings), ...request.strings };
        return c.recommend({
          limit: request.limit ?? 6,
          prompt: request.prompt,
          exclude: request.exclude,
          ...(Object.keys(wording).length > 0 ? { strings: wording } : {}),
        });
      },
      async track(event: TrackEvent) {
        const c = await need();
        await c.track({ ...event, at: event.at ?? Date.now() });
        changed();
      },
      async forget() {
        const c = await need();
        await c.forget();
        changed();
      },
      async ledger() {
        return (await need()).ledger();
      },
      async storage() {
        return (await need()).storage();
      },
      async setConsent(on: boolean) {
        await (await need()).setConsent(on);
        changed();
      },
      async flush() {
        const sent = await (await need()).flush();
        if (sent > 0) changed();
        return sent;
      },
      async train() {
        const out = await (await need()).train();
        if (out.kind === 'uploaded') changed();
        return out;
      },
      async contribute() {
        const out = await (await need()).contribute();
        if (out.kind === 'dap' && out.tasks.some((t) => t.kind !== 'skipped')) changed();
        return out;
      },
      async item(id: string) {
        return (await need()).item(id);
      },
    },
  );
  return api;
}
