import type { ModelUpload } from '../protocol/model.ts';

/** The admin `PUT /v1/admin/model` body for a float32 parameter vector (base64; Node admin tooling). */
export function modelUploadBody(
  name: string,
  params: Float32Array,
  layout?: ModelUpload['layout'],
): ModelUpload {
  const bytes = new Uint8Array(params.buffer, params.byteOffset, params.byteLength);
  return {
    v: 1,
    kind: 'model-upload',
    name,
    encoding: 'f32-base64',
    data: Buffer.from(bytes).toString('base64'),
    ...(layout === undefined ? {} : { layout }),
  };
}
