/**
 * The catalog service on the real IndexedDB of headless Chromium: a stored catalog survives a
 * page reload and a browser restart (same profile) and is still searchable; markup is inert.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type BrowserHarness,
  type Page,
  startBrowserHarness,
} from '../../support/browser-harness.ts';

const CATALOG = [
  {
    id: 'w1',
    title: 'Whale Song',
    description: 'whales in the deep ocean sea',
    category: 'nature',
  },
  {
    id: 'd1',
    title: 'Dragon Keep',
    description: 'dragons guard a magic castle',
    category: 'fantasy',
  },
  {
    id: 'r1',
    title: 'Red Rockets',
    description: 'rockets fly to distant stars',
    category: 'space',
    available: false,
  },
  {
    id: 'x1',
    title: 'Evil<script>window.__pwned=1</script> title',
    description: '<img src=x onerror="window.__pwned=2">plain',
    category: 'space',
  },
];

type TestWindow = {
  catalogTest: {
    ready(): Promise<void>;
    load(records: unknown[]): Promise<{ ok: boolean; count: number }>;
    status(): Promise<{ state: string; count: number; indexed: number }>;
    search(
      text: string,
      filter?: Record<string, unknown>,
    ): Promise<{ id: string; title: string }[]>;
    item(id: string): Promise<{ title: string; description: string } | null>;
    injectQuota(allowed: number): void;
    rows(): Promise<string[]>;
  };
  restorePut?: () => void;
  __pwned?: number;
};

let harness: BrowserHarness;

async function openPage(): Promise<Page> {
  const page = await harness.newPage();
  await page.goto(`${harness.baseUrl}/test/browser/pages/catalog-store.html`);
  await page.waitForFunction(
    () => (window as unknown as { catalogTestReady?: boolean }).catalogTestReady === true,
  );
  await page.evaluate(() => (window as unknown as TestWindow).catalogTest.ready());
  return page;
}

beforeAll(async () => {
  harness = await startBrowserHarness();
  // The first visit lets Vite pre-bundle dependencies (it may reload the page once).
  const warm = await openPage();
  await warm.close();
});

afterAll(async () => {
  await harness?.close();
});

describe('catalog store in Chromium', () => {
  it('keeps a stored catalog across a reload and a browser restart, still searchable', async () => {
    // Arrange
    const page = await openPage();
    const loaded = await page.evaluate(
      (c) => (window as unknown as TestWindow).catalogTest.load(c),
      CATALOG,
    );
    await page.reload();
    await page.waitForFunction(
      () => (window as unknown as { catalogTestReady?: boolean }).catalogTestReady === true,
    );
    const afterReload = await page.evaluate(() =>
      (window as unknown as TestWindow).catalogTest.status(),
    );
    await page.close();
    // Act
    await harness.restartBrowser();
    const fresh = await openPage();
    const status = await fresh.evaluate(() =>
      (window as unknown as TestWindow).catalogTest.status(),
    );
    const hits = await fresh.evaluate(() =>
      (window as unknown as TestWindow).catalogTest.search('dragons and magic'),
    );
    const spaceAvailable = await fresh.evaluate(() =>
      (window as unknown as TestWindow).catalogTest.search('rockets stars', {
        category: 'space',
        availableOnly: true,
      }),
    );
    const hostile = await fresh.evaluate(() =>
      (window as unknown as TestWindow).catalogTest.item('x1'),
    );
    const pwned = await fresh.evaluate(() => (window as unknown as TestWindow).__pwned ?? null);
    // Assert
    expect(loaded).toMatchObject({ ok: true, count: 4 });
    expect(afterReload).toMatchObject({ state: 'ready', count: 4, indexed: 4 });
    expect(status).toMatchObject({ state: 'ready', count: 4, indexed: 4 });
    expect(hits[0]).toEqual({ id: 'd1', title: 'Dragon Keep' });
    expect(spaceAvailable.map((h) => h.id)).toEqual(['x1']);
    expect(hostile).toMatchObject({ title: 'Evil title', description: 'plain' });
    expect(pwned).toBeNull();
    expect(harness.consoleErrors).toEqual([]);
    await fresh.close();
  });

  it('keeps the previous catalog intact in Chromium when a sync hits the quota', async () => {
    // Arrange
    const page = await openPage();
    const before = await page.evaluate(() => (window as unknown as TestWindow).catalogTest.rows());
    const bigger = Array.from({ length: 600 }, (_, i) => ({
      id: `n${i}`,
      title: `New ${i}`,
      description: 'dragons',
    }));
    // Act
    const result = await page.evaluate(async (items) => {
      const w = window as unknown as TestWindow;
      w.catalogTest.injectQuota(300);
      const out = await w.catalogTest.load(items);
      w.restorePut?.();
      return out;
    }, bigger);
    const after = await page.evaluate(() => (window as unknown as TestWindow).catalogTest.rows());
    const status = await page.evaluate(() =>
      (window as unknown as TestWindow).catalogTest.status(),
    );
    // Assert
    expect(result).toMatchObject({ ok: false, error: { kind: 'quota' }, count: 4 });
    expect(before).toHaveLength(4);
    expect(after).toEqual(before);
    expect(status).toMatchObject({ state: 'ready', count: 4, resumable: false });
    await page.close();
  });
});
