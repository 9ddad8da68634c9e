/** Named errors of the widget, with messages that say what to do. */

export const WIDGET_MESSAGES = {
  missingCatalog:
    '<hearth-recs> needs a catalog: add catalog="/path/to/catalog.json" or call Hearth.init({ catalog }) first.',
  notInitialised:
    'Hearth is not initialised: call Hearth.init({ catalog }) before track/recommend.',
  badLimit: (value: string) =>
    `<hearth-recs limit="${value}"> is not a whole number between 1 and 50; using the default 6.`,
  unavailable: (detail: string) =>
    `<hearth-recs>: recommendations are unavailable (visitors see a neutral line; see the hearth:error event): ${detail}`,
  workerFailed: (detail: string, url: string) =>
    `The Hearth engine worker failed to start (${detail}) from ${url}. Serve the build's hearth/, assets/, ort/ and models/ folders side by side from this origin, or point the element's models and wasm attributes (Hearth.init({ models, wasm, worker })) at where those files are.`,
} as const;

/** Thrown when the widget or the API is used without the configuration it needs. */
export class HearthConfigError extends Error {
  override readonly name = 'HearthConfigError';
}

/** Thrown when the engine worker cannot be started or stops answering. */
export class HearthWorkerError extends Error {
  override readonly name = 'HearthWorkerError';
}
