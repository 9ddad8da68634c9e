import { HpkeConfig, Task } from '@divviup/dap';
import { describe, expect, it } from 'vitest';
import {
  decodeAggregationJobInitReq,
  decodeAggregationJobResp,
  decodePingPong,
  encodeAggregationJobInitReq,
  encodeAggregationJobResp,
  encodePingPong,
  encodePrepareInit,
} from '../../../src/wire/dap/aggregation.ts';
import {
  decodeAggregateShareReq,
  decodeCollection,
  decodeCollectionReq,
  encodeAggregateShareReq,
  encodeCollection,
  encodeCollectionReq,
} from '../../../src/wire/dap/collection.ts';
import { base64url, DapDecodeError, fromBase64url } from '../../../src/wire/dap/tls.ts';
import {
  decodeHpkeConfigList,
  decodeReport,
  encodeHpkeConfigList,
  encodeReport,
} from '../../../src/wire/dap/upload.ts';

const config = {
  id: 7,
  kemId: 0x20,
  kdfId: 1,
  aeadId: 1,
  publicKey: new Uint8Array(32).fill(3),
};
const ct = { configId: 7, enc: new Uint8Array(32).fill(1), payload: new Uint8Array([9, 8, 7]) };
const metadata = { reportId: new Uint8Array(16).fill(5), time: 1_767_225_600n };

describe('DAP-09 codecs', () => {
  it("decodes a Report made by @divviup/dap's Task and re-encodes it byte for byte", async () => {
    // Arrange
    const task = new Task({
      type: 'sumVec',
      length: 8,
      bits: 1,
      chunkLength: 3,
      id: 'A'.repeat(43),
      leader: 'http://l.test/',
      helper: 'http://h.test/',
      timePrecisionSeconds: 3600,
    });
    const list = new Uint8Array(
      encodeHpkeConfigList([{ ...config, publicKey: new Uint8Array(32).fill(9) }]),
    );
    task.fetch = async () =>
      new Response(list, { headers: { 'content-type': 'application/dap-hpke-config-list' } });
    const report = await task.generateReport([1, 0, 0, 1, 0, 0, 0, 1]);
    const bytes = new Uint8Array(report.encode());

    // Act
    const decoded = decodeReport(bytes);

    // Assert
    expect(Buffer.from(decoded.metadata.reportId)).toEqual(
      Buffer.from(report.metadata.reportId.bytes),
    );
    expect(decoded.leaderShare.configId).toBe(7);
    expect(Buffer.from(encodeReport(decoded))).toEqual(Buffer.from(bytes));
  });

  it("writes an HpkeConfigList that the client library's HpkeConfig parser reads", () => {
    // Arrange / Act
    const encoded = encodeHpkeConfigList([config]);
    const parsed = HpkeConfig.parse(Buffer.from(encoded.subarray(2)));

    // Assert
    expect(parsed.id).toBe(7);
    expect(decodeHpkeConfigList(encoded)).toEqual([config]);
  });

  it('round-trips aggregation jobs, answers and ping-pong messages', () => {
    // Arrange
    const init = encodePrepareInit({
      reportShare: { metadata, publicShare: new Uint8Array(32), encryptedInputShare: ct },
      payload: encodePingPong({ kind: 'initialize', prepShare: new Uint8Array([1, 2]) }),
    });
    const resps = [
      { reportId: metadata.reportId, kind: 'continue' as const, payload: new Uint8Array([4]) },
      { reportId: metadata.reportId, kind: 'reject' as const, error: 'vdaf_prep_error' as const },
      { reportId: metadata.reportId, kind: 'finished' as const },
    ];

    // Act
    const job = decodeAggregationJobInitReq(
      encodeAggregationJobInitReq(new Uint8Array(0), [init, init]),
    );
    const answer = decodeAggregationJobResp(encodeAggregationJobResp(resps));
    const finish = decodePingPong(
      encodePingPong({ kind: 'finish', prepMessage: new Uint8Array(16) }),
    );

    // Assert
    expect(job.prepareInits).toHaveLength(2);
    expect(job.prepareInits[1]?.reportShare.metadata.time).toBe(metadata.time);
    expect(decodePingPong(job.prepareInits[0]?.payload ?? new Uint8Array())).toEqual({
      kind: 'initialize',
      prepShare: new Uint8Array([1, 2]),
    });
    expect(answer.map((a) => a.kind)).toEqual(['continue', 'reject', 'finished']);
    expect(answer[1]).toMatchObject({ error: 'vdaf_prep_error' });
    expect(finish.kind).toBe('finish');
  });

  it('round-trips collection requests, aggregate share requests and collections', () => {
    // Arrange
    const interval = { start: 1_767_225_600n, duration: 86_400n };
    const checksum = new Uint8Array(32).fill(0xab);

    // Act
    const req = decodeCollectionReq(
      encodeCollectionReq({ interval, aggregationParameter: new Uint8Array(0) }),
    );
    const share = decodeAggregateShareReq(
      encodeAggregateShareReq({
        interval,
        aggregationParameter: new Uint8Array(0),
        reportCount: 42n,
        checksum,
      }),
    );
    const collection = decodeCollection(
      encodeCollection({ reportCount: 42n, interval, leaderShare: ct, helperShare: ct }),
    );

    // Assert
    expect(req.interval).toEqual(interval);
    expect(share.reportCount).toBe(42n);
    expect(Buffer.from(share.checksum)).toEqual(Buffer.from(checksum));
    expect(collection.reportCount).toBe(42n);
    expect(collection.helperShare.payload).toEqual(ct.payload);
  });

  it('names the truncation point of a cut report and refuses trailing bytes', () => {
    // Arrange
    const bytes = encodeReport({
      metadata,
      publicShare: new Uint8Array(32),
      leaderShare: ct,
      helperShare: ct,
    });

    // Act / Assert
    expect(() => decodeReport(bytes.subarray(0, 30))).toThrow(DapDecodeError);
    expect(() => decodeReport(bytes.subarray(0, 30))).toThrow(
      /report is truncated: \d+ bytes needed at byte \d+/,
    );
    expect(() => decodeReport(Uint8Array.of(...bytes, 0))).toThrow('report has 1 trailing bytes');
  });

  it('reads and writes unpadded base64url and rejects other text', () => {
    // Arrange
    const bytes = Uint8Array.from({ length: 32 }, (_, i) => i * 8);

    // Act
    const text = base64url(bytes);

    // Assert
    expect(text).toHaveLength(43);
    expect(text).not.toMatch(/[+/=]/);
    expect(fromBase64url(text)).toEqual(bytes);
    expect(fromBase64url('not base64!')).toBeNull();
  });
});
