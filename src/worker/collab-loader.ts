/**
 * Loads the global collaborative models (`<models>/collab/`: the factored model and the sequence
 * model) over HTTP in the worker, checking each file's sha256 against the manifest. Both are
 * optional: without a deployed `collab/manifest.json` the engine runs on content and popularity.
 */

import { type CollabModel, CollabModelError } from '../engine/collab-model.ts';
import type { SequenceModel } from '../engine/sequence-model.ts';
import { parseCollab } from '../models/collab-format.ts';
import { parseCollabManifest } from '../models/collab-manifest.ts';
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

/** The loaded models; null where none is deployed. */
export interface CollabModels {
  readonly collab: CollabModel | null;
  readonly sequence: SequenceModel | null;
}

async function bytesOf(url: string, sha256: string, fetchFn: WorkerFetch): Promise<Uint8Array> {
  const response = await fetchFn(url);
  if (!response.ok) {
    throw new CollabModelError(
      `GET ${url} answered HTTP ${response.status}; deploy models/collab/ together with its manifest.`,
    );
  }
  const bytes = new Uint8Array(await response.arrayBuffer());
  const actual = await sha256Hex(bytes);
  if (actual !== sha256) {
    throw new CollabModelError(
      `${url} has sha256 ${actual} but the manifest says ${sha256}; redeploy models/collab/.`,
    );
  }
  return bytes;
}

/** Fetches and verifies the collaborative models; `{ null, null }` when no manifest is served. */
export async function fetchCollabModels(options: CollabFetchOptions): Promise<CollabModels> {
  const fetchFn = options.fetch;
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
      `GET ${base.href}manifest.json answered HTTP ${response.status}; deploy models/collab/ or remove it.`,
    );
  }
  const manifest = parseCollabManifest(await response.json(), `${base.href}manifest.json`);
  const collab = parseCollab(
    await bytesOf(new URL(manifest.file, base).href, manifest.sha256, fetchFn),
  );
  const sequence = manifest.sequence
    ? parseSequence(
        await bytesOf(
          new URL(manifest.sequence.file, base).href,
          manifest.sequence.sha256,
          fetchFn,
        ),
      )
    : null;
  return { collab, sequence };
}
