/**
 * The module rules of DESIGN.md, checked on the import graph of the source tree: no folder
 * cycles, pure modules import only pure modules, no I/O in pure modules, and neither `src/` nor
 * `bench/` imports `test/`. A rule nobody checks is a wish.
 */
import { readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { codeOnly, files, importGraph, moduleCycles, ROOT } from '../support/import-graph.ts';

/** Folders (under src/) whose modules are pure: no I/O, no browser API, no edge imports. */
const PURE = [
  'engine',
  'privacy',
  'models',
  'search',
  'eval/metrics',
  'protocol',
  'wire',
  'shared',
];

/** I/O a pure module must never touch (as an identifier, not in a comment, string or property key). */
const FORBIDDEN_IO = [
  'fetch',
  'indexedDB',
  'XMLHttpRequest',
  'IDBKeyRange',
  'navigator',
  'document',
  'localStorage',
  'WebSocket',
  'process',
];

const isPure = (module: string) => PURE.some((p) => module === `src/${p}`);

describe('architecture (DESIGN.md module rules)', () => {
  const graph = importGraph();

  it('has no cycle between folders', () => {
    expect(moduleCycles(graph.edges).map((c) => c.join(' → '))).toEqual([]);
  });

  it('pure modules import only pure modules', () => {
    const wrong = [...graph.edges]
      .filter(([from]) => isPure(from))
      .flatMap(([from, tos]) =>
        [...tos].filter((to) => !isPure(to)).map((to) => `${from} → ${to}`),
      );
    expect(wrong).toEqual([]);
  });

  it('pure modules touch no network, storage or page API', () => {
    const wrong: string[] = [];
    for (const p of PURE) {
      for (const file of files(join(ROOT, 'src', p))) {
        const code = codeOnly(readFileSync(file, 'utf8'));
        for (const name of FORBIDDEN_IO) {
          if (new RegExp(`(?<![.\\w$])${name}\\b(?!\\s*\\??:)`).test(code))
            wrong.push(`${relative(ROOT, file)} uses ${name}`);
        }
      }
    }
    expect(wrong).toEqual([]);
  });

  it('neither src/ nor bench/ imports test/', () => {
    const wrong = graph.fileEdges
      .filter(
        (e) =>
          /^(src|bench|workers|support|scripts)\//.test(e.from) && e.to.startsWith(`test${sep}`),
      )
      .map((e) => `${e.from} → ${e.to}`);
    expect(wrong).toEqual([]);
  });

  it('worker entry points only expose what src/worker builds', () => {
    for (const file of files(join(ROOT, 'workers'))) {
      const code = codeOnly(readFileSync(file, 'utf8'));
      const statements = code
        .split(';')
        .map((s) => s.trim())
        .filter((s) => s !== '' && !s.startsWith('import'));
      expect(statements.length, relative(ROOT, file)).toBe(1);
      expect(statements[0], relative(ROOT, file)).toMatch(/^expose\(/);
    }
  });
});
