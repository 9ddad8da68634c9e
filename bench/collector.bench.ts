/**
 * The collector's private-model build for a 10,000-item catalog (Node), from synthetic releases
 * of the real shapes (support/synthetic-releases.ts):
 *   dap.collector_build_s_10k        design of the pair task from the released popularity (head
 *                                    500, 20,000 cells) + the model build (NPMLE popularity, year
 *                                    kernel, thresholded pairs) + the served entry's encoding
 *   dap.cooccurrence_served_bytes_10k  the served model's GET /v1/model entry (JSON, base64 data)
 *   dap.cooccurrence_served_gzip_bytes_10k  the same entry gzip-compressed (level 6), as it travels
 *                                    from a server or CDN that compresses JSON
 *   dap.cooccurrence_pairs_10k       released pairs kept by the threshold
 */
import { Buffer } from 'node:buffer';
import { gzipSync } from 'node:zlib';
import { buildCooccurrence, releasedPopularity } from '../src/models/cooccurrence-build.ts';
import { cooccurrenceModelOfEntry } from '../src/models/cooccurrence-format.ts';
import { pairCountsMeasurement } from '../src/models/private-tasks.ts';
import { attributeValues } from '../src/models/public-items.ts';
import { ModelEntrySchema } from '../src/protocol/model.ts';
import { servedCooccurrenceEntry, syntheticReleases } from '../support/synthetic-releases.ts';
import type { BenchSuite } from './types.ts';

const suite: BenchSuite = {
  name: 'collector',
  async run({ log }) {
    const { itemIds, catalog, histogram, pairs } = syntheticReleases(10_000, 7);
    const start = performance.now();
    const design = pairCountsMeasurement(
      itemIds,
      releasedPopularity(histogram),
      attributeValues(itemIds, catalog, 'year'),
    );
    const served = buildCooccurrence({
      histogram,
      pairs: { ...pairs, measurement: design },
      catalog,
      delta: 1e-6,
    });
    const body = JSON.stringify(servedCooccurrenceEntry(served));
    const seconds = (performance.now() - start) / 1000;
    // The device's side of the same entry, so a broken encoding fails the bench loudly.
    const model = cooccurrenceModelOfEntry(ModelEntrySchema.parse(JSON.parse(body)));
    const gzipped = gzipSync(body).byteLength;
    log(
      `collector: 10k items built in ${seconds.toFixed(2)} s, ${served.layout.pairs.count} pairs, ${Buffer.byteLength(body)} B served, ${gzipped} B gzip (${model.itemIds.length} items decoded)`,
    );
    return {
      'dap.collector_build_s_10k': Number(seconds.toFixed(3)),
      'dap.cooccurrence_served_bytes_10k': Buffer.byteLength(body),
      'dap.cooccurrence_served_gzip_bytes_10k': gzipped,
      'dap.cooccurrence_pairs_10k': served.layout.pairs.count,
    };
  },
};

export default suite;
