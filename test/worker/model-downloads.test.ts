/**
 * The worker's model and runtime files come through one fetch (in the worker, the privacy gate's
 * download) and each file is fetched once: the encoder's files are read to verify them and then
 * served to transformers.js from memory, and ONNX Runtime's two files are handed to ORT as bytes.
 */
import * as ort from 'onnxruntime-web';
import { describe, expect, it, vi } from 'vitest';
import { httpModelFiles } from '../../src/encoder/files-http.ts';
import { gatedOrtRuntime, ORT_FILES } from '../../src/worker/ort-runtime.ts';

/** A fetch over a map of URL → body that records every call. */
function serve(files: Record<string, string>) {
  return vi.fn(async (input: string | URL, _init?: { method?: string }) => {
    const body = files[String(input)];
    return body === undefined ? new Response('missing', { status: 404 }) : new Response(body);
  });
}

describe('encoder model files over HTTP', () => {
  it('fetches each file once and serves what it read to transformers.js from memory', async () => {
    // Arrange
    const fetch = serve({
      'https://x/models/enc/config.json': '{"model_type":"bert"}',
      'https://x/models/enc/tokenizer.json': '{}',
    });
    const files = httpModelFiles('https://x/models/enc/', fetch);
    // Act
    await files.read('config.json');
    await files.read('tokenizer.json');
    const exists = await files.exists('config.json');
    const byLocalPath = await files.cache.match('/models/enc/config.json');
    const byUrl = await files.cache.match('https://x/models/enc/tokenizer.json');
    const unread = await files.cache.match('/models/enc/tokenizer_config.json');
    // Assert
    expect(exists).toBe(true);
    expect(await byLocalPath?.text()).toBe('{"model_type":"bert"}');
    expect(await byUrl?.text()).toBe('{}');
    expect(unread).toBeUndefined();
    expect(fetch.mock.calls.map((c) => String(c[0]))).toEqual([
      'https://x/models/enc/config.json',
      'https://x/models/enc/tokenizer.json',
    ]);
  });
});

describe('ONNX Runtime files through the gate', () => {
  it('downloads the .wasm and .mjs once, however many callers, and hands ORT the bytes', async () => {
    // Arrange
    const fetch = serve({
      [`https://x/ort/${ORT_FILES.wasm}`]: 'wasm-bytes',
      [`https://x/ort/${ORT_FILES.mjs}`]: 'export default () => {};',
    });
    const prepare = gatedOrtRuntime({ base: 'https://x/ort/', fetch });
    // Act
    const [files, again] = await Promise.all([prepare(), prepare()]);
    // Assert
    expect(again).toBe(files);
    expect(fetch.mock.calls.map((c) => String(c[0])).sort()).toEqual([
      `https://x/ort/${ORT_FILES.mjs}`,
      `https://x/ort/${ORT_FILES.wasm}`,
    ]);
    expect(files.wasmPaths.mjs.startsWith('blob:')).toBe(true);
    expect(new TextDecoder().decode(files.wasmBinary)).toBe('wasm-bytes');
    expect(ort.env.wasm.wasmBinary).toBe(files.wasmBinary);
    expect(ort.env.wasm.wasmPaths).toEqual(files.wasmPaths);
  });

  it('names the file and the fix when the server does not have them', async () => {
    const prepare = gatedOrtRuntime({ base: 'https://x/ort/', fetch: serve({}) });
    await expect(prepare()).rejects.toThrow(
      /ort-wasm-simd-threaded\.(wasm|mjs) answered HTTP 404; serve ONNX Runtime's/,
    );
  });
});
