/**
 * The import graph of the source tree, by module (a folder of `src/`, or a top-level folder),
 * for the architecture test and for listing the arrows between folders
 * (`npx tsx support/import-graph.ts`).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

/** The repository root. */
export const ROOT = resolve(import.meta.dirname, '..');

/** Every .ts file under a folder. */
export function files(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...files(path));
    else if (/\.(ts|mts)$/.test(entry.name)) out.push(path);
  }
  return out;
}

/** Relative import specifiers of a file (static, dynamic and type-only), resolved to paths. */
export function importsOf(file: string, source: string): string[] {
  const out: string[] = [];
  const re =
    /(?:import|export)\s[^'"]*?from\s+['"](\.[^'"]+)['"]|import\s*\(\s*['"](\.[^'"]+)['"]|import\s+['"](\.[^'"]+)['"]/g;
  for (const m of source.matchAll(re)) {
    const spec = (m[1] ?? m[2] ?? m[3] ?? '').split('?')[0] ?? '';
    out.push(resolve(dirname(file), spec));
  }
  return out;
}

/** The module a file belongs to: `src/<folder>` (or `src/eval/metrics`), or a top-level folder. */
export function moduleOf(path: string): string {
  const rel = relative(ROOT, path).split(sep);
  if (rel[0] !== 'src') return rel[0] ?? '';
  if (rel.length === 2) return 'src/index.ts';
  if (rel[1] === 'eval' && rel[2] === 'metrics') return 'src/eval/metrics';
  return `src/${rel[1]}`;
}

/** Code without comments and string literals, for identifier checks. */
export function codeOnly(source: string): string {
  return source
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/\/\/.*$/gm, '')
    .replace(/`(?:\\.|[^`\\])*`/g, '``')
    .replace(/'(?:\\.|[^'\\])*'/g, "''")
    .replace(/"(?:\\.|[^"\\])*"/g, '""');
}

export interface Graph {
  readonly edges: Map<string, Set<string>>;
  readonly fileEdges: { from: string; to: string }[];
}

/** Module → modules it imports, over src/, bench/, workers/, scripts/, support/, test/. */
export function importGraph(
  roots = ['src', 'bench', 'workers', 'scripts', 'support', 'test'],
): Graph {
  const edges = new Map<string, Set<string>>();
  const fileEdges: { from: string; to: string }[] = [];
  for (const root of roots) {
    for (const file of files(join(ROOT, root))) {
      const from = moduleOf(file);
      for (const target of importsOf(file, readFileSync(file, 'utf8'))) {
        const to = moduleOf(target);
        fileEdges.push({ from: relative(ROOT, file), to: relative(ROOT, target) });
        if (to === from) continue;
        if (!edges.has(from)) edges.set(from, new Set());
        edges.get(from)!.add(to);
      }
    }
  }
  return { edges, fileEdges };
}

/** Every cycle between modules (as a path a → … → a), by depth-first search. */
export function moduleCycles(edges: Map<string, Set<string>>): string[][] {
  const cycles: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string) => {
    state.set(node, 'open');
    stack.push(node);
    for (const next of edges.get(node) ?? []) {
      if (state.get(next) === 'open') cycles.push([...stack.slice(stack.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(node, 'done');
  };
  for (const node of edges.keys()) if (!state.has(node)) visit(node);
  return cycles;
}

if (process.argv[1] !== undefined && import.meta.filename === resolve(process.argv[1])) {
  const { edges } = importGraph();
  for (const [from, tos] of [...edges].sort(([a], [b]) => a.localeCompare(b))) {
    process.stdout.write(`${from} → ${[...tos].sort().join(', ')}\n`);
  }
}
