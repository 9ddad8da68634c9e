/**
 * Downloads the served private item-item model (`cooccurrence.served`: built by the collector from
 * DP releases only, promoted by the operator) through the privacy gate, with consent only, and
 * decodes it for the engine. A missing, damaged or unknown model leaves the engine as it was.
 */
import type { CooccurrenceModel } from '../engine/cooccurrence-model.ts';
import { cooccurrenceModelOfEntry } from '../models/cooccurrence-format.ts';
import { COOCCURRENCE_MODEL } from '../protocol/cooccurrence.ts';
import { servedName } from '../protocol/model.ts';
import type { WorkerPrivacy } from './privacy-part.ts';

/** The ledger's description of the download. */
export const COOCCURRENCE_DOWNLOAD_SUMMARY =
  'download of the shared item-item model learned with secure aggregation (nothing about this visitor is sent)';

/** The served private model, or null (no consent, no server, none promoted, or not decodable). */
export async function loadServedCooccurrence(
  privacy: Pick<WorkerPrivacy, 'servedModel'>,
): Promise<CooccurrenceModel | null> {
  const entry = await privacy.servedModel(
    servedName(COOCCURRENCE_MODEL),
    COOCCURRENCE_DOWNLOAD_SUMMARY,
  );
  if (entry === null) return null;
  try {
    return cooccurrenceModelOfEntry(entry);
  } catch {
    return null; // a model this engine cannot use: keep scoring without it
  }
}
