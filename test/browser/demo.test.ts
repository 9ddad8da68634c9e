/**
 * The demo bookshop with the real engine worker (catalog sync + encoder in Chromium): item pages,
 * the privacy panel, and the network audit: no request URL or
 * body carries the prompt, a viewed title, or a token that persists across reloads; no cookies.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BrowserHarness, startBrowserHarness } from '../../support/browser-harness.ts';

const PROMPT = 'zebra lighthouse sonnets nothing too dark';
const VIEWED_TITLE = 'The Hound of the Baskervilles';
let harness: BrowserHarness;
const sent: { url: string; body: string; session: number }[] = [];
let session = 0;

beforeAll(async () => {
  harness = await startBrowserHarness();
  harness.context.on('request', (request) => {
    // blob: and data: URLs are memory of the page, not requests (cached images shown through
    // object URLs, ONNX Runtime's glue fetched via the gate): they never leave the device.
    if (!/^https?:/.test(request.url())) return;
    sent.push({ url: request.url(), body: request.postData() ?? '', session });
  });
});
afterAll(async () => {
  await harness?.close();
});

describe('demo bookshop', () => {
  it('shows an item page from the catalog synced by the real worker (dev server)', async () => {
    const page = await harness.newPage();
    await page.goto(`${harness.baseUrl}/?item=pd-the-hound-of-the-baskervilles`);
    await page.locator('#item-title', { hasText: VIEWED_TITLE }).waitFor({ timeout: 25_000 });
    expect(await page.locator('#item-description').textContent()).toContain('Baskerville');
    await page.locator('hearth-recs input[type=search]').fill(PROMPT);
    await page.locator('hearth-recs button[type=submit]').click();
    await page
      .locator('#storage tr')
      .first()
      .waitFor({ timeout: 10_000 })
      .catch(() => undefined);
    await page.close();
  });

  it('sends nothing that identifies the visitor across reloads (network audit)', async () => {
    session = 1;
    const page = await harness.newPage();
    await page.goto(`${harness.baseUrl}/`);
    await page.locator('hearth-recs').waitFor();
    await page.waitForTimeout(0);
    await page.reload();
    await page.locator('hearth-recs').waitFor();
    await page.close();
    const text = sent
      .map((s) => `${decodeURIComponent(s.url)}\n${s.body}`)
      .join('\n')
      .toLowerCase();
    expect(text).not.toContain(PROMPT.toLowerCase());
    expect(text).not.toContain('zebra lighthouse');
    expect(text).not.toContain(VIEWED_TITLE.toLowerCase());
    const tokens = (s: { url: string; body: string }) => {
      const u = new URL(s.url);
      const query = [...u.searchParams.entries()].filter(
        ([k]) => !['v', 't', 'import', 'worker_file', 'type', 'item'].includes(k),
      );
      return `${query.map(([, v]) => v).join(' ')} ${s.body}`.match(/[A-Za-z0-9_-]{16,}/g) ?? [];
    };
    const first = new Set(sent.filter((s) => s.session === 0).flatMap(tokens));
    const repeated = sent
      .filter((s) => s.session === 1)
      .flatMap(tokens)
      .filter((t) => first.has(t));
    expect(repeated).toEqual([]);
    expect(await harness.context.cookies()).toEqual([]);
    expect(sent.every((s) => new URL(s.url).host === new URL(harness.baseUrl).host)).toBe(true);
  });
});
