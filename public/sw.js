// Hearth demo service worker: caches the app shell, the worker, ONNX Runtime's files, the models
// and the catalog at install, so the demo loads and recommends offline after one visit. Model
// files are cached only when their bytes match the sha256 in their manifest.
// It caches Hearth's own files only: never a navigation with a query (`/?item=…` names what the
// visitor looked at), never another page, never catalog images (those live in IndexedDB). Every
// cache name starts with `hearth-` (src/store/caches.ts deletes them all on "Forget me").
const VERSION = 'hearth-v8';
const SHELL = `${VERSION}-shell`;
const MODEL = `${VERSION}-model`;
const ENCODER_DIR = '/models/hearth-encoder-v1/';
const RANKER_DIR = '/models/ranker/';
const COLLAB_DIR = '/models/collab/';
/** Which model folders the build deployed (vite.config.ts writes it; see src/models/models-index.ts). */
const MODELS_INDEX = '/models/index.json';
const PRECACHE = ['/', '/index.html', '/demo-catalog.json', '/manifest.webmanifest', '/icon.svg'];

async function sha256Hex(buffer) {
  const digest = await crypto.subtle.digest('SHA-256', buffer);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** Fetches `dir + path`, checks its sha256 and puts it in the model cache; throws on a mismatch. */
async function putVerified(cache, dir, path, expected) {
  // no-cache: revalidate, so a rebuilt model is never answered from a stale HTTP cache entry.
  const response = await fetch(`${dir}${path}`, { cache: 'no-cache' });
  const bytes = await response.clone().arrayBuffer();
  const actual = response.ok ? await sha256Hex(bytes) : `HTTP ${response.status}`;
  if (actual !== expected) {
    throw new Error(
      `Model file ${dir}${path} is ${actual}, its manifest says ${expected}; not caching it. Rebuild with npm run build:models and redeploy.`,
    );
  }
  await cache.put(`${dir}${path}`, response);
}

async function cacheVerifiedModels(cache) {
  const encoder = await fetch(`${ENCODER_DIR}manifest.json`, { cache: 'no-cache' });
  if (encoder.ok) {
    const manifest = await encoder.clone().json();
    const files = manifest.files ?? {};
    const entries = Array.isArray(files)
      ? files.map((f) => [f.path ?? f.name, f.sha256])
      : Object.entries(files).map(([k, v]) => [k, typeof v === 'string' ? v : v.sha256]);
    for (const [path, expected] of entries) await putVerified(cache, ENCODER_DIR, path, expected);
    await cache.put(`${ENCODER_DIR}manifest.json`, encoder);
  }
  const ranker = await fetch(`${RANKER_DIR}manifest.json`, { cache: 'no-cache' });
  if (ranker.ok) {
    const manifest = await ranker.clone().json();
    await putVerified(cache, RANKER_DIR, manifest.onnx, manifest.sha256);
    await cache.put(`${RANKER_DIR}manifest.json`, ranker);
  }
  // Optional models only when the index lists them: nothing is asked for that was not deployed
  // (a 404 would show up as an error in the console).
  const index = await fetch(MODELS_INDEX, { cache: 'no-cache' });
  if (!index.ok) return;
  const deployed = (await index.clone().json()).models ?? [];
  if (deployed.includes('collab')) {
    const collab = await fetch(`${COLLAB_DIR}manifest.json`, { cache: 'no-cache' });
    const manifest = await collab.clone().json();
    await putVerified(cache, COLLAB_DIR, manifest.file, manifest.sha256);
    if (manifest.sequence)
      await putVerified(cache, COLLAB_DIR, manifest.sequence.file, manifest.sequence.sha256);
    await cache.put(`${COLLAB_DIR}manifest.json`, collab);
  }
  await cache.put(MODELS_INDEX, index);
}

/**
 * A rebuilt model keeps its URLs, so the cached copy would be served forever. On navigations
 * (at most every 10 minutes) the encoder manifest is compared with the network's; when it changed,
 * every model file is fetched and verified into a staging cache first, and only a complete,
 * verified set replaces the cached one. Offline or on any mismatch the cached models stay.
 */
let lastModelCheck = 0;
async function refreshModelsIfChanged() {
  // "Forget me" deletes the caches: then check at once instead of waiting out the 10 minutes.
  if (Date.now() - lastModelCheck < 10 * 60 * 1000 && (await caches.has(MODEL))) return;
  lastModelCheck = Date.now();
  try {
    const cached = await caches.match(`${ENCODER_DIR}manifest.json`, { ignoreVary: true });
    const current = await fetch(`${ENCODER_DIR}manifest.json`, { cache: 'no-cache' });
    if (!current.ok || (cached && (await cached.text()) === (await current.text()))) return;
    const stagingName = `${MODEL}-staging`;
    await caches.delete(stagingName);
    const staging = await caches.open(stagingName);
    await cacheVerifiedModels(staging);
    const live = await caches.open(MODEL);
    for (const request of await staging.keys()) {
      const response = await staging.match(request);
      if (response) await live.put(request, response);
    }
    await caches.delete(stagingName);
  } catch {
    // Offline or a file that does not match its manifest: keep serving the verified cached set.
  }
}

/**
 * A cached response re-wrapped without its stored URL, so that the page sees the URL it asked
 * for: a worker started from `engine.worker-*.js?server=…` keeps its parameters in
 * `self.location` even when the file was cached without them.
 */
function fresh(cached) {
  return new Response(cached.body, {
    status: cached.status,
    statusText: cached.statusText,
    headers: cached.headers,
  });
}

/** The build's file list (written by vite.config.ts): worker chunk, widget, /ort/ files. */
async function builtFiles() {
  const response = await fetch('/precache.json', { cache: 'no-cache' });
  return response.ok ? response.json() : [];
}

self.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(SHELL);
      await cache.addAll([...new Set([...PRECACHE, ...(await builtFiles())])]);
      await cacheVerifiedModels(await caches.open(MODEL));
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      for (const key of await caches.keys())
        if (key.startsWith('hearth-v') && !key.startsWith(VERSION)) await caches.delete(key);
      await self.clients.claim();
    })(),
  );
});

/** True for the app shell's own files, asked for without a query (never `/?item=…`). */
function isShell(url) {
  return url.search === '' && PRECACHE.includes(url.pathname);
}

/** Stores a response under the URL without its query (the worker's URL carries its config). */
async function putWithoutQuery(url, response) {
  const cache = await caches.open(SHELL);
  await cache.put(`${url.origin}${url.pathname}`, response);
}

// Same-origin GETs only; API calls to the thin server (/v1/) always go to the network. Only the
// shell, the built files and the models are ever answered from or written to a cache.
self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  if (
    event.request.method !== 'GET' ||
    url.origin !== self.location.origin ||
    url.pathname.startsWith('/v1/')
  )
    return;
  const isModel = url.pathname.startsWith('/models/');
  // Content-hashed build files, the widget and the ORT runtime never change under one name.
  const isBuilt = ['/assets/', '/ort/', '/hearth/'].some((dir) => url.pathname.startsWith(dir));
  if (event.request.mode === 'navigate') {
    event.waitUntil(refreshModelsIfChanged());
    event.respondWith(
      (async () => {
        try {
          const response = await fetch(event.request);
          if (response.ok && isShell(url)) await putWithoutQuery(url, response.clone());
          return response;
        } catch (error) {
          // Offline: every page of the demo is the same app shell (it reads ?item= itself).
          const shell = await caches.match('/index.html', { ignoreVary: true });
          if (shell) return shell;
          throw error;
        }
      })(),
    );
    return;
  }
  if (!isModel && !isBuilt && !isShell(url)) return; // anything else: the network, uncached
  event.respondWith(
    (async () => {
      if (isModel || isBuilt) {
        // Model files are immutable per version and were verified when cached.
        const cached = await caches.match(event.request, { ignoreSearch: true, ignoreVary: true });
        if (cached) return fresh(cached);
      }
      try {
        const response = await fetch(event.request);
        if (response.ok && !isModel) await putWithoutQuery(url, response.clone());
        return response;
      } catch (error) {
        // Offline: the same file without its query (the worker's parameters). Vary (e.g. Origin
        // on module scripts) is ignored: these are our own static files.
        const cached = await caches.match(event.request, { ignoreSearch: true, ignoreVary: true });
        if (cached) return fresh(cached);
        // A model file that was not deployed at install: still absent (the worker asks only for
        // what models/index.json lists, so this is a misdeployment).
        if (isModel) return new Response('Not deployed (offline)', { status: 404 });
        throw error;
      }
    })(),
  );
});
