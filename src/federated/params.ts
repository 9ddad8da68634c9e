/** Flat parameter vectors of the collaborative model: history, target, then bias (the wire order). */
import type { CollabModel } from '../engine/collab-model.ts';

/** Number of parameters of a collab model with `items` rows and `dims` factors. */
export function collabParamCount(items: number, dims: number): number {
  return items * (2 * dims + 1);
}

/** Concatenates history, target and bias into one new Float32Array. */
export function flattenCollab(model: CollabModel): Float32Array {
  const out = new Float32Array(model.history.length + model.target.length + model.bias.length);
  out.set(model.history, 0);
  out.set(model.target, model.history.length);
  out.set(model.bias, model.history.length + model.target.length);
  return out;
}

/** Builds a model with `layout`'s ids and dims from a flat vector (copies, never aliases). */
export function unflattenCollab(
  layout: { readonly itemIds: readonly string[]; readonly dims: number },
  params: Float32Array,
  version: string,
): CollabModel {
  const n = layout.itemIds.length;
  const block = n * layout.dims;
  return {
    version,
    itemIds: layout.itemIds,
    dims: layout.dims,
    history: params.slice(0, block),
    target: params.slice(block, 2 * block),
    bias: params.slice(2 * block, 2 * block + n),
  };
}
