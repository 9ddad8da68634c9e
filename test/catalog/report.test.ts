/**
 * Catalog reports reach the site owner: one set of rules for the browser's parser and the thin
 * server, the same report from both, CSV headers named when they are wrong.
 */
import { describe, expect, it } from 'vitest';
import { CatalogParseError } from '../../src/catalog/errors.ts';
import { parseCatalogRecords, parseCatalogText } from '../../src/catalog/parse.ts';
import {
  type CatalogReport,
  catalogReport,
  catalogReportLines,
  parseReport,
} from '../../src/catalog/report.ts';
import { GEAR_WITH_PROBLEMS, gearCsv } from '../../support/gear-catalog.ts';
import { admin, setupApp } from '../server/helpers.ts';

type App = Awaited<ReturnType<typeof setupApp>>['app'];

const putCatalog = (app: App, body: unknown, query = '') =>
  app.request(`/v1/admin/catalog${query}`, {
    method: 'PUT',
    headers: admin,
    body: JSON.stringify(body),
  });

const servedItems = async (app: App) =>
  ((await (await app.request('/v1/catalog')).json()) as { items: { id: string; title: string }[] })
    .items;

describe('catalog report: one set of rules for the browser and the thin server', () => {
  it('the thin server keeps what the browser keeps and names the duplicate id and the empty title', async () => {
    // Arrange
    const { app } = await setupApp();
    const browser = parseCatalogRecords(GEAR_WITH_PROBLEMS);
    // Act
    const response = await putCatalog(app, GEAR_WITH_PROBLEMS);
    const body = (await response.json()) as { items: number; report: CatalogReport };
    const served = await servedItems(app);
    // Assert
    expect(response.status).toBe(200);
    expect(body.items).toBe(20);
    expect(body.report).toEqual(catalogReport(parseReport(browser)));
    expect(body.report).toMatchObject({ read: 22, accepted: 20, rejected: 1, duplicates: 1 });
    expect(served.map((i) => i.id).sort()).toEqual(browser.items.map((i) => i.id).sort());
    // The later record of a repeated id wins on both sides.
    expect(served.find((i) => i.id === 'boot-2')?.title).toBe('Trail Running Shoes (new colour)');
    const messages = body.report.problems.map((p) => p.message).join('\n');
    expect(messages).toContain('item 21 (id "gift-card"): title: empty (required) — item skipped');
    expect(messages).toContain('item 9 (id "boot-2"): duplicate id, item 20 has it too');
  });

  it('the thin server never serves an item with an empty title (the browser would drop it)', async () => {
    // Arrange
    const { app } = await setupApp();
    // Act
    await putCatalog(app, {
      version: 1,
      items: [
        { id: 'a', title: '' },
        { id: 'b', title: 'B' },
      ],
    });
    // Assert
    expect((await servedItems(app)).map((i) => i.id)).toEqual(['b']);
  });

  it('refuses a catalog with errors under ?strict, listing each problem, and stores nothing', async () => {
    // Arrange
    const { app } = await setupApp();
    await putCatalog(app, [{ id: 'keep', title: 'Kept' }]);
    // Act
    const response = await putCatalog(app, GEAR_WITH_PROBLEMS, '?strict');
    const body = (await response.json()) as { error: { message: string; reasons: string[] } };
    // Assert
    expect(response.status).toBe(400);
    expect(body.error.message).toBe(
      'catalog rejected (strict): 20 of 22 items loaded: 1 rejected, 1 duplicate id. Nothing was stored.',
    );
    expect(body.error.reasons).toHaveLength(2);
    expect((await servedItems(app)).map((i) => i.id)).toEqual(['keep']);
  });

  it('names the headers found and the ones expected when a CSV has wrong columns', () => {
    // Arrange
    const csv = gearCsv('sku', 'name');
    // Act
    const parse = () => parseCatalogText(csv);
    // Assert
    expect(parse).toThrow(CatalogParseError);
    expect(parse).toThrow(
      /^Catalog CSV header \(line 1\) has no "id" or "title" column: it names "sku", "name", "description", "category", "tags", "price", "currency"; a catalog needs "id" and "title" columns/,
    );
  });

  it('accepts CSV headers that differ only in case, spaces, dashes and underscores', () => {
    // Arrange
    const csv = gearCsv('ID', ' Title ');
    // Act
    const parsed = parseCatalogText(csv);
    // Assert
    expect(parsed.items).toHaveLength(20);
  });

  it('writes the report as a summary line and one line per problem, errors first', () => {
    // Arrange
    const parsed = parseCatalogRecords([
      ...GEAR_WITH_PROBLEMS,
      { id: 'long', title: 'x'.repeat(400) },
    ]);
    // Act
    const lines = catalogReportLines(catalogReport(parseReport(parsed), 2));
    // Assert
    expect(lines).toEqual([
      '21 of 23 items loaded: 1 rejected, 1 duplicate id, 1 warning.',
      '  error: item 21 (id "gift-card"): title: empty (required) — item skipped',
      '  error: item 9 (id "boot-2"): duplicate id, item 20 has it too — the later one is kept, this one skipped',
      '  … and 1 more.',
    ]);
  });
});
