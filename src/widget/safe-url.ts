/** URL hygiene for catalog links and images: only same-origin paths and http(s) are used. */
// One rule for the page and the worker's image cache (`src/catalog/images.ts`).
export { httpUrl as safeUrl } from '../catalog/sanitize.ts';
