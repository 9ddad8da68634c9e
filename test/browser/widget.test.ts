/**
 * <hearth-recs> in headless Chromium against the stand-in engine worker: rendering, prompt,
 * like + reload (real IndexedDB), forget, hostile catalog text, events and accessibility.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type BrowserHarness,
  type Page,
  startBrowserHarness,
} from '../../support/browser-harness.ts';

const XSS_TITLE = '<img src=x onerror="window.__pwned=1">Evil';
const CATALOG = [
  {
    id: 'm1',
    title: 'Murder at the Manor',
    description: 'a detective solves a country house murder mystery',
    tags: ['mystery'],
    url: '/m1',
    image: '/covers/mystery.svg',
  },
  {
    id: 'm2',
    title: 'The Poisoned Vicar',
    description: 'a village detective and a poison mystery',
    tags: ['mystery'],
  },
  {
    id: 's1',
    title: 'Rockets to Mars',
    description: 'spaceships and aliens on a red planet',
    tags: ['space'],
  },
  {
    id: 's2',
    title: 'Robots Rising',
    description: 'robots and spaceships in the far future',
    tags: ['space'],
  },
  {
    id: 'c1',
    title: 'Bread and Butter',
    description: 'a cookbook of simple baking recipes',
    tags: ['cooking'],
  },
  {
    id: 'c2',
    title: 'Soup Season',
    description: 'warming soup recipes for winter cooking',
    tags: ['cooking'],
  },
  {
    id: 'x1',
    title: XSS_TITLE,
    description: 'javascript link and hostile markup',
    tags: [],
    url: 'javascript:alert(1)',
    image: 'javascript:alert(2)',
  },
  {
    id: 'g1',
    title: 'Gardening Basics',
    description: 'grow vegetables and flowers in a small garden',
    tags: ['garden'],
  },
];

let harness: BrowserHarness;

async function openWidget(): Promise<Page> {
  const page = await harness.newPage();
  await page.goto(`${harness.baseUrl}/test/browser/pages/widget.html`);
  await page.waitForFunction(() => 'startHearth' in window);
  await page.evaluate(
    (json) => (window as unknown as { startHearth(j: string): Promise<unknown> }).startHearth(json),
    JSON.stringify(CATALOG),
  );
  await page.locator('hearth-recs li[data-item-id]').first().waitFor();
  return page;
}

const shownIds = (page: Page) =>
  page
    .locator('hearth-recs li[data-item-id]')
    .evaluateAll((els) => els.map((e) => e.getAttribute('data-item-id')));

beforeAll(async () => {
  harness = await startBrowserHarness();
});
afterAll(async () => {
  await harness?.close();
});

describe('<hearth-recs>', () => {
  it('renders recommendations with titles, reasons, parts and ready events', async () => {
    const page = await openWidget();
    const ids = await shownIds(page);
    expect(ids).toHaveLength(4);
    const events = await page.evaluate(() =>
      (window as unknown as { hearthEvents: { name: string }[] }).hearthEvents.map((e) => e.name),
    );
    expect(events).toContain('hearth:ready');
    expect(events).toContain('hearth:recommendations');
    await expect(
      page.locator('hearth-recs [part~=reason]').first().textContent(),
    ).resolves.not.toBe('');
    expect(await page.locator('hearth-recs').getAttribute('aria-busy')).toBe('false');
    await page.close();
  });

  it('moves typed-prompt matches to the top', async () => {
    const page = await openWidget();
    await page.locator('hearth-recs input[type=search]').fill('spaceships robots aliens');
    await page.locator('hearth-recs button[type=submit]').click();
    await page.waitForFunction(() => {
      const first = document
        .querySelector('hearth-recs')
        ?.shadowRoot?.querySelector('li[data-item-id]');
      return first?.getAttribute('data-item-id')?.startsWith('s') === true;
    });
    const ids = await shownIds(page);
    expect(ids.slice(0, 2).sort()).toEqual(['s1', 's2']);
    await page.close();
  });

  it('renders a hostile title as text, drops javascript: links and runs nothing', async () => {
    const page = await openWidget();
    await page.locator('hearth-recs input[type=search]').fill('javascript hostile markup');
    await page.locator('hearth-recs button[type=submit]').click();
    const card = page.locator('hearth-recs li[data-item-id="x1"]');
    await card.waitFor();
    expect(await card.locator('[part~=title]').textContent()).toBe(XSS_TITLE);
    expect(await card.locator('img').count()).toBe(0);
    expect(await card.locator('a').getAttribute('href')).toBeNull();
    expect(
      await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned),
    ).toBeUndefined();
    await page.close();
  });

  it('keeps a like across a reload and forgets it on forget()', async () => {
    const page = await openWidget();
    await page.locator('hearth-recs input[type=search]').fill('baking recipes');
    await page.locator('hearth-recs button[type=submit]').click();
    await page.locator('hearth-recs li[data-item-id="c1"] [part~=like]').click();
    await page
      .locator('hearth-recs li[data-item-id="c1"] [part~=like][aria-pressed=true]')
      .waitFor();
    await page.reload();
    await page.waitForFunction(() => 'startHearth' in window);
    await page.evaluate(
      (json) =>
        (window as unknown as { startHearth(j: string): Promise<unknown> }).startHearth(json),
      JSON.stringify(CATALOG),
    );
    await page.locator('hearth-recs li[data-item-id]').first().waitFor();
    const afterReload = await shownIds(page);
    expect(afterReload[0]).toBe('c1');
    const stored = await page.evaluate(() =>
      (
        window as unknown as {
          Hearth: { storage(): Promise<{ stores: { name: string; count: number }[] }> };
        }
      ).Hearth.storage(),
    );
    expect(stored.stores.find((s) => s.name === 'events')?.count).toBe(1);
    await page.evaluate(() =>
      (window as unknown as { Hearth: { forget(): Promise<void> } }).Hearth.forget(),
    );
    const after = await page.evaluate(() =>
      (
        window as unknown as {
          Hearth: { storage(): Promise<{ stores: { name: string; count: number }[] }> };
        }
      ).Hearth.storage(),
    );
    expect(after.stores.find((s) => s.name === 'events')?.count).toBe(0);
    await page.close();
  });

  it('is keyboard reachable: the prompt box is labelled and cards expose named buttons', async () => {
    const page = await openWidget();
    expect(await page.getByLabel('What are you in the mood for?').count()).toBe(1);
    const like = page.locator('hearth-recs [part~=like]').first();
    expect(await like.getAttribute('aria-label')).toMatch(/^Like /);
    await page.locator('hearth-recs input[type=search]').focus();
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() =>
      document.querySelector('hearth-recs')?.shadowRoot?.activeElement?.getAttribute('part'),
    );
    expect(['link', 'like']).toContain(focused);
    await page.close();
  });

  it('shows an error state with a retry button when the catalog cannot be loaded', async () => {
    const page = await harness.newPage();
    await page.goto(`${harness.baseUrl}/test/browser/pages/widget.html`);
    await page.waitForFunction(() => 'Hearth' in window);
    const message = await page.evaluate(() =>
      (window as unknown as { Hearth: { init(c: object): Promise<unknown> } }).Hearth.init({
        catalog: '/no-such-catalog.json',
        worker: '/test/browser/fixtures/fake-engine.worker.ts',
      }).then(
        () => 'resolved',
        (e: Error) => e.message,
      ),
    );
    // Vite answers an unknown path with index.html (200): the catalog fetch names that precisely.
    expect(message).toMatch(/no-such-catalog\.json answered an HTML page|HTTP 404/);
    // The element shows visitors a neutral line; the precise message goes to the console.
    await page.locator('hearth-recs [part~=error]', { hasText: 'unavailable right now' }).waitFor();
    expect(await page.locator('hearth-recs [part~=error]').textContent()).not.toContain('catalog');
    await expect.poll(() => harness.consoleErrors.some((e) => e.includes(message))).toBe(true);
    harness.consoleErrors.length = 0; // the failure above is expected
    await page.close();
  });

  it("shows a placeholder for an uncached image, loads the URL only with images='direct', nothing with 'none'", async () => {
    // Arrange: the stand-in worker attaches no cached image, so m1's cover is not cached.
    const page = await openWidget();
    await page.locator('hearth-recs input[type=search]').fill('detective murder mystery manor');
    await page.locator('hearth-recs button[type=submit]').click();
    const card = page.locator('hearth-recs li[data-item-id="m1"]');
    await card.waitFor();
    const loads: string[] = [];
    page.on('request', (r) => {
      if (r.url().includes('/covers/')) loads.push(r.url());
    });
    const cachedMode = {
      placeholders: await card.locator('[part~=placeholder]').count(),
      images: await card.locator('img').count(),
    };
    // Act
    await page.locator('hearth-recs').evaluate((el) => el.setAttribute('images', 'direct'));
    await card.locator('img').waitFor();
    const directSrc = await card.locator('img').getAttribute('src');
    await page.locator('hearth-recs').evaluate((el) => el.setAttribute('images', 'none'));
    await card.locator('img').waitFor({ state: 'detached' });
    const noneMode = await card.locator('img, [part~=placeholder]').count();
    // Assert
    expect(cachedMode).toEqual({ placeholders: 1, images: 0 });
    expect(directSrc).toBe(`${harness.baseUrl}/covers/mystery.svg`);
    expect(loads.length).toBeGreaterThan(0); // only the explicit opt-in loads the image URL
    expect(noneMode).toBe(0);
    await page.close();
  });

  it("uses the page's and the element's wording, live, and warns about an unknown key", async () => {
    // Arrange: page-wide strings through Hearth.init, an element override through the property.
    const page = await harness.newPage();
    const warnings: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'warning') warnings.push(m.text());
    });
    await page.goto(`${harness.baseUrl}/test/browser/pages/widget.html`);
    await page.waitForFunction(() => 'Hearth' in window);
    await page.evaluate(
      (json) =>
        (window as unknown as { Hearth: { init(c: object): Promise<unknown> } }).Hearth.init({
          catalog: URL.createObjectURL(new Blob([json], { type: 'application/json' })),
          worker: '/test/browser/fixtures/fake-engine.worker.ts',
          strings: { promptLabel: 'What gear do you need?', like: '+ Wishlist', colour: 'x' },
        }),
      JSON.stringify(CATALOG),
    );
    await page.locator('hearth-recs li[data-item-id]').first().waitFor();
    // Act
    await page.locator('hearth-recs').evaluate((el) => {
      (el as HTMLElement & { strings: object }).strings = { promptSubmit: 'Find gear' };
    });
    await page.locator('hearth-recs button[type=submit]', { hasText: 'Find gear' }).waitFor();
    // Assert
    expect(await page.getByLabel('What gear do you need?').count()).toBe(1);
    expect(await page.locator('hearth-recs [part~=like]').first().textContent()).toBe('+ Wishlist');
    expect(warnings).toEqual([
      "Hearth strings: unknown key 'colour' ignored; the keys are listed in docs/widget.md#strings.",
    ]);
    await page.close();
  });

  it('logged no console errors', () => {
    expect(harness.consoleErrors.filter((e) => !e.includes('404'))).toEqual([]);
  });
});
