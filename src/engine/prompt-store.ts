/**
 * Where a prompt is kept when, and only when, the caller opts in (`rememberPrompt: true`).
 * Without that opt-in the service never touches a prompt store.
 */

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
