/**
 * <hearth-recs>: shows recommendations from the Hearth API. Attributes: catalog, server, helper, limit,
 * layout (grid | list | carousel), prompt (on), images (cached | none | direct). Events:
 * hearth:ready, hearth:recommendations, hearth:error. It renders; the engine worker computes.
 */
import { WIDGET_MESSAGES } from './errors.ts';
import { parseLayout, parseLimit } from './format.ts';
import type { HearthApi } from './hearth.ts';
import { parseImageMode, renderError, renderList, renderProgress } from './render.ts';
import { WIDGET_CSS } from './styles.ts';
import type { Progress, Recommendation } from './types.ts';

const PROMPT_DEBOUNCE_MS = 350;

/** Defines the custom element over a Hearth API instance (once per page). */
export function defineHearthElement(hearth: HearthApi, name = 'hearth-recs'): void {
  if (customElements.get(name) !== undefined) return;
  customElements.define(name, createElementClass(hearth));
}

function createElementClass(hearth: HearthApi) {
  return class HearthRecsElement extends HTMLElement {
    static get observedAttributes() {
      return ['limit', 'layout', 'prompt', 'catalog', 'images'];
    }

    readonly #root: ShadowRoot;
    readonly #status: HTMLElement;
    readonly #body: HTMLElement;
    #form: HTMLFormElement | undefined;
    #prompt = '';
    #recs: Recommendation[] = [];
    readonly #liked = new Set<string>();
    #timer: ReturnType<typeof setTimeout> | undefined;
    #generation = 0;
    #connected = false;
    /** Object URLs of the cards on show (cached images), revoked when the cards are replaced. */
    #objectUrls: string[] = [];
    readonly #onProgress = (event: Event) =>
      this.#showProgress((event as CustomEvent<Progress>).detail);
    readonly #onChanged = () => void this.refresh();

    constructor() {
      super();
      this.#root = this.attachShadow({ mode: 'open' });
      const style = document.createElement('style');
      style.textContent = WIDGET_CSS;
      this.#status = document.createElement('div');
      this.#status.className = 'sr-only';
      this.#status.setAttribute('role', 'status');
      this.#status.setAttribute('aria-live', 'polite');
      this.#body = document.createElement('div');
      this.#body.setAttribute('part', 'body');
      this.#root.append(style, this.#status, this.#body);
      this.#root.addEventListener('click', (event) => this.#onClick(event));
    }

    /** The recommendations currently shown. */
    get recommendations(): readonly Recommendation[] {
      return this.#recs;
    }

    connectedCallback(): void {
      this.#connected = true;
      this.setAttribute('role', this.getAttribute('role') ?? 'region');
      if (!this.hasAttribute('aria-label')) this.setAttribute('aria-label', 'Recommended for you');
      this.#renderPromptBox();
      hearth.addEventListener('progress', this.#onProgress);
      hearth.addEventListener('changed', this.#onChanged);
      void this.#start();
    }

    disconnectedCallback(): void {
      this.#connected = false;
      hearth.removeEventListener('progress', this.#onProgress);
      hearth.removeEventListener('changed', this.#onChanged);
      if (this.#timer !== undefined) clearTimeout(this.#timer);
      this.#revokeImages([]);
    }

    attributeChangedCallback(name: string, oldValue: string | null, newValue: string | null): void {
      if (!this.#connected || oldValue === newValue) return;
      if (name === 'prompt') this.#renderPromptBox();
      if (name === 'limit' && newValue !== null && parseLimit(newValue, -1) === -1) {
        console.warn(WIDGET_MESSAGES.badLimit(newValue));
      }
      void this.refresh();
    }

    /** Sets the prompt programmatically (as if typed) and refreshes. */
    setPrompt(prompt: string): Promise<void> {
      this.#prompt = prompt;
      const input = this.#form?.querySelector('input');
      if (input && input.value !== prompt) input.value = prompt;
      return this.refresh();
    }

    /** Asks for fresh recommendations and renders them. */
    async refresh(): Promise<void> {
      if (!hearth.ready) return;
      const generation = ++this.#generation;
      try {
        const recs = await hearth.recommend({
          limit: parseLimit(this.getAttribute('limit')),
          prompt: this.#prompt.trim() === '' ? undefined : this.#prompt,
        });
        if (generation !== this.#generation) return; // a newer request superseded this one
        this.#recs = recs;
        this.#renderRecs();
        this.dispatchEvent(
          new CustomEvent('hearth:recommendations', {
            bubbles: true,
            composed: true,
            detail: { items: recs.map((r) => r.item.id), recommendations: recs },
          }),
        );
      } catch (error) {
        if (generation === this.#generation) this.#fail(error);
      }
    }

    async #start(): Promise<void> {
      const catalog = this.getAttribute('catalog');
      if (catalog === null && !hearth.ready && hearth.lastProgress === undefined) {
        // A page may call Hearth.init itself; wait for it instead of failing at once.
        this.#showProgress({ stage: 'model', done: 0, total: 0 });
        await new Promise<void>((resolve) => {
          const done = () => {
            hearth.removeEventListener('progress', done);
            resolve();
          };
          hearth.addEventListener('progress', done);
        });
      }
      this.#showProgress(hearth.lastProgress ?? { stage: 'model', done: 0, total: 0 });
      try {
        const server = this.getAttribute('server') ?? undefined;
        const helper = this.getAttribute('helper') ?? undefined;
        const images = { mode: parseImageMode(this.getAttribute('images')) };
        const result = await hearth.init({ catalog: catalog ?? '', server, helper, images });
        this.dispatchEvent(
          new CustomEvent('hearth:ready', { bubbles: true, composed: true, detail: result }),
        );
        await this.refresh();
      } catch (error) {
        this.#fail(error);
      }
    }

    #renderPromptBox(): void {
      const wanted = this.getAttribute('prompt') === 'on';
      if (!wanted) {
        this.#form?.remove();
        this.#form = undefined;
        return;
      }
      if (this.#form !== undefined) return;
      const form = document.createElement('form');
      form.setAttribute('part', 'prompt');
      form.setAttribute('role', 'search');
      const id = 'hearth-prompt';
      const label = document.createElement('label');
      label.htmlFor = id;
      label.textContent = 'What are you in the mood for?';
      const input = document.createElement('input');
      input.type = 'search';
      input.id = id;
      input.setAttribute('part', 'prompt-input');
      input.placeholder = 'e.g. cozy mysteries, nothing too dark';
      input.autocomplete = 'off';
      input.setAttribute('aria-describedby', 'hearth-prompt-note');
      const note = document.createElement('span');
      note.id = 'hearth-prompt-note';
      note.className = 'sr-only';
      note.textContent = 'Your words stay on this device.';
      const button = document.createElement('button');
      button.type = 'submit';
      button.setAttribute('part', 'prompt-submit');
      button.textContent = 'Suggest';
      form.append(label, input, note, button);
      form.addEventListener('submit', (event) => {
        event.preventDefault();
        if (this.#timer !== undefined) clearTimeout(this.#timer);
        void this.setPrompt(input.value);
      });
      input.addEventListener('input', () => {
        if (this.#timer !== undefined) clearTimeout(this.#timer);
        this.#timer = setTimeout(() => void this.setPrompt(input.value), PROMPT_DEBOUNCE_MS);
      });
      this.#form = form;
      this.#root.insertBefore(form, this.#status);
    }

    #renderRecs(): void {
      const layout = parseLayout(this.getAttribute('layout'));
      const focusedId = this.#focusedItemId();
      const urls: string[] = [];
      const images = {
        mode: parseImageMode(this.getAttribute('images')),
        objectUrl: (blob: Blob) => {
          const url = URL.createObjectURL(blob);
          urls.push(url);
          return url;
        },
      };
      this.#body.replaceChildren(
        renderList(document, this.#recs, layout, this.#liked, document.baseURI, images),
      );
      this.#revokeImages(urls);
      this.setAttribute('aria-busy', 'false');
      this.#status.textContent = `${this.#recs.length} recommendations updated.`;
      if (focusedId !== undefined) {
        const card = this.#root.querySelector(`li[data-item-id="${CSS.escape(focusedId)}"] button`);
        if (card instanceof HTMLElement) card.focus();
      }
    }

    /** Revokes the object URLs of the cards just replaced and keeps `next` for the new ones. */
    #revokeImages(next: string[]): void {
      for (const url of this.#objectUrls) URL.revokeObjectURL(url);
      this.#objectUrls = next;
    }

    #focusedItemId(): string | undefined {
      const active = this.#root.activeElement;
      return active?.closest('li')?.getAttribute('data-item-id') ?? undefined;
    }

    #showProgress(progress: Progress): void {
      if (hearth.ready || progress.stage === 'ready') return;
      this.setAttribute('aria-busy', 'true');
      this.#body.replaceChildren(renderProgress(document, progress));
      this.#revokeImages([]);
    }

    #fail(error: unknown): void {
      const message = error instanceof Error ? error.message : String(error);
      this.setAttribute('aria-busy', 'false');
      this.#body.replaceChildren(renderError(document, message));
      this.#revokeImages([]);
      this.dispatchEvent(
        new CustomEvent('hearth:error', {
          bubbles: true,
          composed: true,
          detail: { message, error },
        }),
      );
    }

    #onClick(event: Event): void {
      const target = event.target instanceof Element ? event.target.closest('[data-action]') : null;
      if (target === null) return;
      const action = target.getAttribute('data-action');
      if (action === 'retry') {
        void this.#start();
        return;
      }
      const itemId = target.closest('li')?.getAttribute('data-item-id');
      if (itemId === null || itemId === undefined) return;
      if (action === 'open') {
        void hearth.track({ kind: 'click', itemId }).catch(() => {});
      } else if (action === 'like') {
        const on = !this.#liked.has(itemId);
        if (on) this.#liked.add(itemId);
        else this.#liked.delete(itemId);
        target.setAttribute('aria-pressed', String(on));
        target.textContent = on ? '♥ Liked' : '♡ Like';
        if (on) void hearth.track({ kind: 'like', itemId }).catch((e) => this.#fail(e));
      } else if (action === 'dismiss') {
        void hearth.track({ kind: 'dismiss', itemId }).catch((e) => this.#fail(e));
      }
    }
  };
}
