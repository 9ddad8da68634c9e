/** The remembered prompt (opt-in only) in the `meta` store of Hearth's IndexedDB database. */
import { PROMPT_META_KEY, type PromptStore } from '../engine/prompt-store.ts';
import { reopeningHearthDB } from './schema.ts';

/** A prompt store in the `meta` store of Hearth's IndexedDB database. */
export function createIndexedDbPromptStore(dbName?: string): PromptStore {
  // Reopens after "Forget me" in another tab deleted the database under this connection.
  const db = reopeningHearthDB(dbName);
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
