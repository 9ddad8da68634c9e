/**
 * Documentation screenshots (docs/screenshots/*.png, tracked in git) are written only on request
 * (`npm run screenshots`, i.e. HEARTH_SCREENSHOTS=1): a plain `npm test` leaves the tree clean.
 */

/** Something Playwright can photograph (a page or a locator). */
export interface Photographable {
  screenshot(options: { path: string }): Promise<unknown>;
}

/** The file a screenshot goes to, or undefined when screenshots were not asked for. */
export function screenshotPath(
  name: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): string | undefined {
  return env.HEARTH_SCREENSHOTS === '1' ? `docs/screenshots/${name}` : undefined;
}

/** Writes `docs/screenshots/<name>` of `target` when asked for; otherwise does nothing. */
export async function docScreenshot(target: Photographable, name: string): Promise<void> {
  const path = screenshotPath(name);
  if (path !== undefined) await target.screenshot({ path });
}
