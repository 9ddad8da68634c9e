import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { createIndexedDbEventLog } from '../../src/store/event-log.ts';
import { createIndexedDbPromptStore } from '../../src/store/prompt-store.ts';
import { deleteHearthDB } from '../../src/store/schema.ts';

describe('IndexedDB adapters after "Forget me" in another tab', () => {
  it('keep working on a fresh database once theirs was deleted under them', async () => {
    // Arrange: an event log and a prompt store with open connections and data.
    const name = 'hearth-reopen-test';
    const events = createIndexedDbEventLog(undefined, name);
    const prompts = createIndexedDbPromptStore(name);
    await events.append({ kind: 'view', itemId: 'a', at: 1000 });
    await prompts.save('tea');
    // Act: the database is deleted (its connections closed), as by another tab's "Forget me".
    await deleteHearthDB(name);
    await events.append({ kind: 'view', itemId: 'b', at: 2000 });
    // Assert: the old data is gone and the adapters write to the new database.
    expect((await events.list()).map((e) => e.itemId)).toEqual(['b']);
    expect(await prompts.load()).toBeNull();
  });
});
