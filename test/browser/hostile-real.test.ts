/**
 * A hostile catalog through the REAL engine worker (dev server): a title carrying markup and an
 * event handler is sanitised by the catalog, ranked and rendered as text; no script runs and no
 * element is created from it. (The raw title reaching the element is tested in widget.test.ts.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BrowserHarness, startBrowserHarness } from '../../support/browser-harness.ts';

const XSS_TITLE = '<img src=x onerror="window.__pwned=1">Gothic <b>tales</b>';
const CATALOG = [
  { id: 'h1', title: XSS_TITLE, description: 'ghost stories in a ruined abbey', tags: ['horror'] },
  { id: 'h2', title: 'The Vampire Tapes', description: 'a vampire in a castle', tags: ['horror'] },
  { id: 's1', title: 'Rockets to Mars', description: 'spaceships and aliens', tags: ['space'] },
  { id: 's2', title: 'Robots Rising', description: 'robots in the far future', tags: ['space'] },
  { id: 'c1', title: 'Bread and Butter', description: 'simple baking recipes', tags: ['cooking'] },
  { id: 'c2', title: 'Soup Season', description: 'warming soup recipes', tags: ['cooking'] },
];

let harness: BrowserHarness;

beforeAll(async () => {
  harness = await startBrowserHarness();
});
afterAll(async () => {
  await harness?.close();
});

describe('hostile catalog text with the real engine worker', () => {
  it('renders a title with markup as text and runs nothing', async () => {
    const page = await harness.newPage();
    await page.goto(`${harness.baseUrl}/test/browser/pages/real-widget.html`);
    await page.waitForFunction(() => 'startHearth' in window);
    await page.evaluate(
      (json) =>
        (window as unknown as { startHearth(j: string): Promise<unknown> }).startHearth(json),
      JSON.stringify(CATALOG),
    );
    const card = page.locator('hearth-recs li[part="card"][data-item-id="h1"]');
    await card.waitFor({ timeout: 60_000 });
    // The catalog sanitiser strips markup from stored text; the widget then sets it as text.
    const stored = await page.evaluate(
      async () =>
        (
          await (
            window as unknown as { Hearth: { item(id: string): Promise<{ title: string }> } }
          ).Hearth.item('h1')
        ).title,
    );
    expect(stored).toBe('Gothic tales');
    expect(await card.locator('[part="title"]').textContent()).toBe(stored);
    const injected = await page.locator('hearth-recs').evaluate((el) => ({
      images: [...(el.shadowRoot?.querySelectorAll('img') ?? [])].map((i) => i.getAttribute('src')),
      bold: el.shadowRoot?.querySelectorAll('b').length ?? -1,
    }));
    expect(injected.images.every((src) => src !== 'x')).toBe(true);
    expect(injected.bold).toBe(0);
    // Nothing was injected, so nothing can fire later; the flag stays unset.
    expect(await page.evaluate(() => (window as { __pwned?: number }).__pwned)).toBeUndefined();
    await page.close();
    expect(harness.consoleErrors).toEqual([]);
  }, 90_000);
});
