/**
 * "Every request made by Hearth's client code goes through the privacy gate": checked on the
 * source. Client code (everything under src/ but the server, the CLI, the simulation and the
 * offline evaluation, which run in Node and never in a visitor's browser) may not call the
 * network itself; the one transport is the fetch the worker hands to the gate (privacy-part.ts).
 * The browser test test/browser/privacy-tabs.test.ts checks the same on real requests.
 */
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { codeOnly, files, ROOT } from '../../support/import-graph.ts';

/** Node-only edges: they never run in the visitor's browser. */
const NODE_ONLY = ['src/server/', 'src/cli/', 'src/sim/', 'src/eval/', 'src/encoder/build/'];

/** Where a network call is allowed, and why. */
const ALLOWED = new Map([
  [
    'src/worker/privacy-part.ts',
    "the gate's transport: every call comes from gate.send or gate.download",
  ],
  [
    'src/catalog/service.ts',
    "a default for Node callers (tests, bench); the worker always injects the gate's download",
  ],
]);

/** Ways to reach the network without the gate. */
const NETWORK_CALLS = [
  /(?<![.\w$])fetch\s*\(/,
  /globalThis\s*\.\s*fetch\b/,
  /\bXMLHttpRequest\b/,
  /\bsendBeacon\b/,
  /\bnew\s+(WebSocket|EventSource)\b/,
  /\bimportScripts\s*\(/,
];

describe('no request bypasses the privacy gate', () => {
  it('client code calls no fetch, XHR, beacon or socket of its own', () => {
    const wrong: string[] = [];
    for (const file of files(join(ROOT, 'src'))) {
      const path = relative(ROOT, file).split('\\').join('/');
      if (NODE_ONLY.some((p) => path.startsWith(p)) || ALLOWED.has(path)) continue;
      const code = codeOnly(readFileSync(file, 'utf8'));
      for (const pattern of NETWORK_CALLS)
        if (pattern.test(code)) wrong.push(`${path}: ${pattern}`);
    }
    expect(wrong).toEqual([]);
  });
});
