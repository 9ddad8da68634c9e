/** Writes a complete encoder model directory (files + manifest) atomically. */
import { createHash } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import {
  encoderOnnx,
  MAX_TOKENS,
  modelConfigJson,
  SPECIAL_TOKENS,
  tokenizerConfigJson,
  tokenizerJson,
} from './encoder-assets.ts';
import { type EncoderRows, quantizeRows } from './encoder-build.ts';

/** Hex sha256 of bytes or a UTF-8 string. */
export const sha256 = (bytes: Uint8Array | string) =>
  createHash('sha256').update(bytes).digest('hex');

/** Size and digest of one model file, as listed in manifest.json. */
export interface ManifestFile {
  readonly bytes: number;
  readonly sha256: string;
}

/** What was written. */
export interface WrittenModel {
  readonly version: string;
  readonly totalBytes: number;
  readonly files: Record<string, ManifestFile>;
}

/**
 * Quantises the rows, writes tokenizer, config, ONNX graph and manifest into `outDir`.
 * The version is derived from the content, so any change to rows or vocabulary re-keys cached
 * vectors; a staging directory is swapped in at the end so a failed write never leaves half a model.
 */
export async function writeEncoderModel(
  outDir: string,
  id: string,
  rows: EncoderRows,
  manifestExtra: object = {},
): Promise<WrittenModel> {
  const { dims } = rows;
  // Special tokens get zero rows: they add nothing to the mean pooled direction.
  const all = new Float32Array((SPECIAL_TOKENS.length + rows.words.length) * dims);
  all.set(rows.rows, SPECIAL_TOKENS.length * dims);
  const quantized = quantizeRows(all, dims);
  const vocabSize = all.length / dims;

  const tokenizer = `${JSON.stringify(tokenizerJson(rows.words))}\n`;
  const draftOnnx = encoderOnnx(quantized.values, quantized.scales, dims, '');
  const version = `1.0.0+${sha256(draftOnnx).slice(0, 8)}${sha256(tokenizer).slice(0, 4)}`;
  const files: Record<string, Uint8Array | string> = {
    'config.json': `${JSON.stringify(modelConfigJson(dims, vocabSize, version), null, 2)}\n`,
    'tokenizer.json': tokenizer,
    'tokenizer_config.json': `${JSON.stringify(tokenizerConfigJson(), null, 2)}\n`,
    'onnx/model_quantized.onnx': encoderOnnx(quantized.values, quantized.scales, dims, version),
  };

  const staging = `${outDir}.staging`;
  await rm(staging, { recursive: true, force: true });
  await mkdir(join(staging, 'onnx'), { recursive: true });
  const manifestFiles: Record<string, ManifestFile> = {};
  for (const [name, content] of Object.entries(files)) {
    await writeFile(join(staging, name), content);
    manifestFiles[name] = { bytes: Buffer.byteLength(content), sha256: sha256(content) };
  }
  const manifest = {
    id,
    version,
    dims,
    vocabSize,
    maxTokens: MAX_TOKENS,
    pooling: 'mean',
    normalize: true,
    dtype: 'q8',
    ...manifestExtra,
    files: manifestFiles,
  };
  await writeFile(join(staging, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  await rm(outDir, { recursive: true, force: true });
  await mkdir(dirname(outDir), { recursive: true });
  await rename(staging, outDir);
  const totalBytes = Object.values(manifestFiles).reduce((s, f) => s + f.bytes, 0);
  return { version, totalBytes, files: manifestFiles };
}
