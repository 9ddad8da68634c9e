/**
 * Where a prompt is kept when, and only when, the caller opts in (`rememberPrompt: true`).
 * Without that opt-in the service never touches a prompt store.
 */
import type { IDBPDatabase } from 'idb';
import { type HearthDB, openHearthDB } from '../store/schema.ts';

/** Storage of the one remembered prompt. */
export interface PromptStore {
  load(): Promise<string | null>;
  save(prompt: string): Promise<void>;
  clear(): Promise<void>;
}

/** The `meta` key the remembered prompt lives under. */
export const PROMPT_META_KEY = 'engine.prompt';

/** A prompt store in memory (tests, Node). */
export function createMemoryPromptStore(): PromptStore {
  let kept: string | null = null;
  return {
    async load() {
      return kept;
    },
    async save(prompt) {
      kept = prompt;
    },
    async clear() {
      kept = null;
    },
  };
}

/** A prompt store in the `meta` store of Hearth's IndexedDB database. */
export function createIndexedDbPromptStore(dbName?: string): PromptStore {
  let dbPromise: Promise<IDBPDatabase<HearthDB>> | null = null;
  const db = () => {
    dbPromise ??= openHearthDB(dbName);
    return dbPromise;
  };
  return {
    async load() {
      const record = await (await db()).get('meta', PROMPT_META_KEY);
      return typeof record?.value === 'string' ? record.value : null;
    },
    async save(prompt) {
      await (await db()).put('meta', { key: PROMPT_META_KEY, value: prompt });
    },
    async clear() {
      await (await db()).delete('meta', PROMPT_META_KEY);
    },
  };
}
