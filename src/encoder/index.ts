export { createEncoder, DEFAULT_MODEL, type EncoderOptions } from './encoder.ts';
export { ENCODER_MESSAGES, EncoderInputError, EncoderModelError } from './errors.ts';
export { type ModelFiles, type ModelManifest, readManifest, verifyModelFiles } from './manifest.ts';
export { meanPoolNormalize, normalizeInPlace } from './pooling.ts';
export type { EmbeddingBatch, Encoder, EncoderInfo } from './types.ts';
