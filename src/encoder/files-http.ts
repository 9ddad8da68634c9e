import type { ModelFiles } from './manifest.ts';

/** Model files fetched from the page's own origin (browser and worker). */
export function httpModelFiles(
  baseUrl: string,
  fetchFn: typeof fetch = fetch,
): ModelFiles & { exists(path: string): Promise<boolean> } {
  const url = (path: string) => new URL(path, baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`).href;
  return {
    location: baseUrl,
    async read(path) {
      const response = await fetchFn(url(path));
      if (response.status === 404) return null;
      if (!response.ok) throw new Error(`GET ${url(path)} answered ${response.status}`);
      return new Uint8Array(await response.arrayBuffer());
    },
    async exists(path) {
      const response = await fetchFn(url(path), { method: 'HEAD' });
      return response.ok;
    },
  };
}
