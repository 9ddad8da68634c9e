/**
 * A clean tree and a quiet install: `npm test` writes no tracked file (documentation screenshots
 * only on request), and no npm command warns about the project's configuration.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { docScreenshot, screenshotPath } from '../support/screenshots.ts';

/** Every .ts file under a folder. */
function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => join(e.parentPath, e.name));
}

describe('housekeeping', () => {
  it('writes documentation screenshots only when HEARTH_SCREENSHOTS=1', async () => {
    // Arrange
    const taken: string[] = [];
    const target = { screenshot: async (o: { path: string }) => taken.push(o.path) };
    // Act
    const off = screenshotPath('demo-recs.png', {});
    const on = screenshotPath('demo-recs.png', { HEARTH_SCREENSHOTS: '1' });
    await docScreenshot(target, 'demo-recs.png');
    // Assert
    expect(off).toBeUndefined();
    expect(on).toBe('docs/screenshots/demo-recs.png');
    expect(taken).toEqual(process.env.HEARTH_SCREENSHOTS === '1' ? [on] : []);
  });

  it('no test writes into docs/ directly (screenshots go through docScreenshot)', () => {
    // Arrange / Act
    const direct = tsFiles('test').filter((f) =>
      /screenshot\(\s*\{\s*path:\s*['"`]docs\//.test(readFileSync(f, 'utf8')),
    );
    // Assert
    expect(direct).toEqual([]);
  });

  it("sets no npm config npm does not know: onnxruntime-node's install script is denied by allowScripts", () => {
    // Arrange
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as {
      allowScripts: Record<string, boolean>;
      engines: Record<string, string>;
    };
    const npmrc = existsSync('.npmrc') ? readFileSync('.npmrc', 'utf8') : '';
    // Assert: the policy (npm >= 11.19 enforces a denial) makes the old .npmrc switch unneeded.
    expect(npmrc).not.toContain('onnxruntime-node-install');
    expect(pkg.allowScripts['onnxruntime-node']).toBe(false);
    expect(pkg.engines.npm).toBe('>=11.19');
  });
});
