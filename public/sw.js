// Hearth demo service worker: caches the app shell, worker, ONNX Runtime files, model and catalog
// so the demo loads and recommends offline after one visit. Model files are cached only when
// their bytes match the sha256 in models/<model>/manifest.json.
const VERSION = 'hearth-v1';
const SHELL = `${VERSION}-shell`;
const MODEL = `${VERSION}-model`;
const MODEL_DIR = '/models/hearth-encoder-v1/';
const PRECACHE = ['/', '/index.html', '/demo-catalog.json', '/manifest.webmanifest', '/icon.svg'];

async function sha256Hex(buffer) {
  const digest = await crypto.subtle.digest('SHA-256', buffer);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

async function cacheVerifiedModel() {
  const manifestResponse = await fetch(`${MODEL_DIR}manifest.json`, { cache: 'no-cache' });
  if (!manifestResponse.ok) return;
  const manifest = await manifestResponse.clone().json();
  const cache = await caches.open(MODEL);
  const files = manifest.files ?? {};
  const entries = Array.isArray(files)
    ? files.map((f) => [f.path ?? f.name, f.sha256])
    : Object.entries(files).map(([k, v]) => [k, typeof v === 'string' ? v : v.sha256]);
  for (const [path, expected] of entries) {
    const response = await fetch(`${MODEL_DIR}${path}`);
    const bytes = await response.clone().arrayBuffer();
    if (!response.ok || (await sha256Hex(bytes)) !== expected) {
      throw new Error(
        `Model file ${path} does not match its manifest sha256; not caching it. Rebuild with npm run build:models.`,
      );
    }
    await cache.put(`${MODEL_DIR}${path}`, response);
  }
  await cache.put(`${MODEL_DIR}manifest.json`, manifestResponse);
}

self.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(SHELL);
      await cache.addAll(PRECACHE);
      await cacheVerifiedModel();
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      for (const key of await caches.keys()) if (!key.startsWith(VERSION)) await caches.delete(key);
      await self.clients.claim();
    })(),
  );
});

// Same-origin GETs only; API calls to the thin server (/v1/) always go to the network.
self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  if (
    event.request.method !== 'GET' ||
    url.origin !== self.location.origin ||
    url.pathname.startsWith('/v1/')
  )
    return;
  const isModel = url.pathname.startsWith('/models/');
  event.respondWith(
    (async () => {
      const cached = await caches.match(event.request, { ignoreSearch: isModel });
      if (isModel && cached) return cached; // model files are immutable per version
      try {
        const response = await fetch(event.request);
        if (response.ok && !isModel)
          (await caches.open(SHELL)).put(event.request, response.clone());
        return response;
      } catch (error) {
        if (cached) return cached;
        if (event.request.mode === 'navigate') {
          const shell = await caches.match('/index.html');
          if (shell) return shell;
        }
        throw error;
      }
    })(),
  );
});
