/**
 * Loads the global collaborative models (`<models>/collab/`: the factored model and the sequence
 * model) over HTTP in the worker, checking each file's sha256 against the manifest. Both are
 * optional: the models index (`<models>/index.json`, written by the build) says whether they
 * were deployed, so nothing is requested (and no 404 logged) when they were not; without them
 * the engine runs on content and popularity.
 */

import { type CollabModel, CollabModelError } from '../engine/collab-model.ts';
import type { SequenceModel } from '../engine/sequence-model.ts';
import { parseCollab } from '../models/collab-format.ts';
import { parseCollabManifest } from '../models/collab-manifest.ts';
import { MODELS_INDEX_FILE, parseModelsIndex } from '../models/models-index.ts';
import { parseSequence } from '../models/sequence-format.ts';
import { sha256Hex } from '../shared/hash.ts';
import type { WorkerFetch } from './gated-fetch.ts';

/** Where the models live and how to fetch them. */
export interface CollabFetchOptions {
  /** Base URL of the model directory (default `/models/`); the files are in `collab/`. */
  readonly modelsUrl?: string;
  /** Fetches the files (the worker passes the privacy gate's download). */
  readonly fetch: WorkerFetch;
}

/** What a fix says in the browser: redeploy, never a build command (the visitor's page shows no CLI). */
const REDEPLOY = 'redeploy the models/collab/ folder of the build under the models URL';

/**
 * The model folders the deployment lists in `<models>/index.json`; an empty list when the index
 * is missing or unreadable (optional models are then not asked for).
 */
export async function fetchDeployedModels(
  modelsUrl: string,
  fetchFn: WorkerFetch,
): Promise<readonly string[]> {
  try {
    const response = await fetchFn(new URL(MODELS_INDEX_FILE, modelsUrl).href);
    if (!response.ok) return [];
    return parseModelsIndex(await response.json())?.models ?? [];
  } catch {
    return [];
  }
}

/** The loaded models; null where none is deployed. */
export interface CollabModels {
  readonly collab: CollabModel | null;
  readonly sequence: SequenceModel | null;
}

async function bytesOf(url: string, sha256: string, fetchFn: WorkerFetch): Promise<Uint8Array> {
  const response = await fetchFn(url);
  if (!response.ok) {
    throw new CollabModelError(
      `GET ${url} answered HTTP ${response.status}; ${REDEPLOY}, together with its manifest.`,
    );
  }
  const bytes = new Uint8Array(await response.arrayBuffer());
  const actual = await sha256Hex(bytes);
  if (actual !== sha256) {
    throw new CollabModelError(
      `${url} has sha256 ${actual} but the manifest says ${sha256}; ${REDEPLOY}.`,
    );
  }
  return bytes;
}

/**
 * Fetches and verifies the collaborative models; `{ null, null }` when the models index does not
 * list them (or, with `deployed` left out, when no manifest is served).
 */
export async function fetchCollabModels(
  options: CollabFetchOptions & { readonly deployed?: readonly string[] },
): Promise<CollabModels> {
  const fetchFn = options.fetch;
  if (options.deployed !== undefined && !options.deployed.includes('collab'))
    return { collab: null, sequence: null };
  const base = new URL(
    'collab/',
    new URL(options.modelsUrl ?? '/models/', globalThis.location?.href),
  );
  const response = await fetchFn(new URL('manifest.json', base).href);
  // A dev server's HTML fallback for a missing file also means "not deployed".
  const isJson = response.headers.get('content-type')?.includes('json') ?? false;
  if (response.status === 404 || (response.ok && !isJson)) return { collab: null, sequence: null };
  if (!response.ok) {
    throw new CollabModelError(
      `GET ${base.href}manifest.json answered HTTP ${response.status}; ${REDEPLOY}, or drop "collab" from ${MODELS_INDEX_FILE}.`,
    );
  }
  const manifest = parseCollabManifest(
    await response.json(),
    `${base.href}manifest.json`,
    REDEPLOY,
  );
  const collab = parseCollab(
    await bytesOf(new URL(manifest.file, base).href, manifest.sha256, fetchFn),
    REDEPLOY,
  );
  const sequence = manifest.sequence
    ? parseSequence(
        await bytesOf(
          new URL(manifest.sequence.file, base).href,
          manifest.sequence.sha256,
          fetchFn,
        ),
        REDEPLOY,
      )
    : null;
  return { collab, sequence };
}
