/** The demo bookshop: item pages that record views, like/dismiss, and the privacy panel. */
import { Hearth } from '../index.ts';
import { contributionText } from '../protection.ts';
import { renderPrivacyPanel } from './privacy-panel.ts';
import { readSeedNote, seedLabel } from './seed-note.ts';

const CATALOG_URL = '/demo-catalog.json';
/** `npm start` serves the thin server's /v1 API on the page's origin; the dev server has none. */
const SERVER_URL = import.meta.env.PROD ? new URL('/', location.href).href : undefined;
/**
 * The DAP helper `npm start` runs next to it, named in a `<meta name="hearth-helper">` it adds to
 * the page: with both, the demo's contributions are secure-aggregation reports.
 */
const HELPER_URL =
  document.querySelector<HTMLMetaElement>('meta[name="hearth-helper"]')?.content || undefined;
/**
 * The shared model `npm start` seeded from simulated visitors, when it did (src/cli/demo-seed.ts):
 * labelled under the recommendations and explained in the privacy panel.
 */
const SEED_NOTE = readSeedNote(
  document.querySelector<HTMLMetaElement>('meta[name="hearth-demo-seed"]')?.content,
);

async function showItem(id: string): Promise<void> {
  const item = await Hearth.item(id);
  const section = document.getElementById('item');
  if (item === undefined || section === null) return;
  section.hidden = false;
  const set = (elId: string, text: string) => {
    const node = document.getElementById(elId);
    if (node !== null) node.textContent = text; // catalog text as text only
  };
  const author = item.extra.author;
  const year = item.extra.year;
  set('item-title', item.title);
  set(
    'item-meta',
    [author, year, item.category].filter((v) => v !== undefined && v !== null).join(' · '),
  );
  set('item-description', item.description);
  document.title = `${item.title} — Hearth Books`;
  await Hearth.track({ kind: 'view', itemId: id }).catch((error: unknown) =>
    console.warn('View not recorded', error),
  );
  const like = document.getElementById('item-like');
  like?.addEventListener('click', () => {
    like.setAttribute('aria-pressed', 'true');
    like.textContent = '♥ Liked';
    void Hearth.track({ kind: 'like', itemId: id });
  });
  document.getElementById('item-dismiss')?.addEventListener('click', () => {
    void Hearth.track({ kind: 'dismiss', itemId: id });
  });
}

async function main(): Promise<void> {
  if ('serviceWorker' in navigator && import.meta.env.PROD) {
    navigator.serviceWorker
      .register('/sw.js')
      .catch((error: unknown) => console.warn('Service worker not registered', error));
  }
  const label = seedLabel(SEED_NOTE);
  const seedNote = document.getElementById('seed-note');
  if (seedNote !== null && label !== null) {
    seedNote.textContent = label;
    seedNote.hidden = false;
  }
  const panel = () =>
    void renderPrivacyPanel(Hearth, document, SEED_NOTE).catch((e: unknown) => console.warn(e));
  Hearth.addEventListener('changed', panel);
  await Hearth.init({
    catalog: CATALOG_URL,
    ...(SERVER_URL ? { server: SERVER_URL } : {}),
    ...(SERVER_URL && HELPER_URL ? { helper: HELPER_URL } : {}),
  });
  panel();
  const id = new URLSearchParams(location.search).get('item');
  if (id !== null) await showItem(id);
  setInterval(panel, 5000);
  document.getElementById('consent')?.addEventListener('change', (event) => {
    const on = (event.target as HTMLInputElement).checked;
    void Hearth.setConsent(on).catch(() => {
      (event.target as HTMLInputElement).checked = false;
    });
  });
  document.getElementById('send-now')?.addEventListener('click', async () => {
    const status = document.getElementById('send-status');
    const say = (text: string) => {
      if (status !== null) status.textContent = text;
    };
    try {
      const sent = await Hearth.flush();
      const ledger = sent > 0 ? null : await Hearth.ledger();
      if (sent > 0) say(`Sent ${sent} noised report${sent === 1 ? '' : 's'}; see the list below.`);
      else if (ledger?.consent !== true) say('Nothing to send: sharing is off.');
      else if (ledger.mode === 'dap')
        say('Nothing queued: with secure aggregation this page sends reports ("Contribute now").');
      else say('Nothing queued: a report is queued each time you view or like a book.');
    } catch (error) {
      say(`Nothing sent: ${error instanceof Error ? error.message : String(error)}`);
    }
  });
  document.getElementById('train-now')?.addEventListener('click', async () => {
    const status = document.getElementById('train-status');
    // With a helper the page contributes DAP reports; with the server alone, an LDP update.
    if ((await Hearth.ledger()).mode === 'dap') {
      const out = await Hearth.contribute();
      if (status !== null) status.textContent = contributionText(out);
      return;
    }
    const out = await Hearth.train();
    if (status !== null)
      status.textContent =
        out.kind === 'uploaded'
          ? `Sent one clipped, noised update of the ${out.model} model (${out.bytes} bytes).`
          : `Nothing sent: ${out.reason}.`;
  });
  document.getElementById('forget')?.addEventListener('click', async () => {
    await Hearth.forget();
    const caches = globalThis.caches;
    if (caches !== undefined)
      for (const key of await caches.keys())
        if (key.startsWith('hearth-')) await caches.delete(key);
    const status = document.getElementById('forget-status');
    if (status !== null)
      status.textContent = 'Everything Hearth stored on this device was deleted.';
  });
}

main().catch((error: unknown) => console.error('Hearth demo failed to start', error));
