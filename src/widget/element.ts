/**
 * <hearth-recs>: shows recommendations from the Hearth API. Attributes: catalog, server, helper, limit,
 * layout (grid | list | carousel), prompt (on), images (cached | none | direct), models, wasm
 * (where the build's models/ and ort/ are; default: next to the widget's hearth/ folder),
 * strings (JSON: the site's wording). Events: hearth:ready, hearth:recommendations,
 * hearth:catalog, hearth:error. Visitors never see an error message: they get a neutral line,
 * the site owner the precise message in the console and in hearth:error. It renders; the engine
 * worker computes.
 */
import { fillTemplate } from '../shared/template.ts';
import { WIDGET_MESSAGES } from './errors.ts';
import { parseLayout, parseLimit } from './format.ts';
import type { HearthApi } from './hearth.ts';
import { parseImageMode, renderList, renderProgress, renderUnavailable } from './render.ts';
import {
  DEFAULT_STRINGS,
  explanationOverrides,
  type HearthStrings,
  parseStringsAttribute,
} from './strings.ts';
import { WIDGET_CSS } from './styles.ts';
import type { CatalogReportDetail, Progress, Recommendation } from './types.ts';

const PROMPT_DEBOUNCE_MS = 350;

/** Defines the custom element over a Hearth API instance (once per page). */
export function defineHearthElement(hearth: HearthApi, name = 'hearth-recs'): void {
  if (customElements.get(name) !== undefined) return;
  customElements.define(name, createElementClass(hearth));
}

function createElementClass(hearth: HearthApi) {
  return class HearthRecsElement extends HTMLElement {
    static get observedAttributes() {
      return ['limit', 'layout', 'prompt', 'catalog', 'images', 'strings', 'models', 'wasm'];
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
    /** Overrides set through the `strings` property (over the attribute's). */
    #ownStrings: Partial<HearthStrings> = {};
    /** The `strings` attribute, parsed once per value. */
    #attributeStrings: { readonly raw: string | null; readonly parsed: Partial<HearthStrings> } = {
      raw: null,
      parsed: {},
    };
    readonly #onProgress = (event: Event) =>
      this.#showProgress((event as CustomEvent<Progress>).detail);
    readonly #onChanged = () => void this.refresh();
    readonly #onCatalog = (event: Event) =>
      this.#reportCatalog((event as CustomEvent<CatalogReportDetail>).detail);

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

    /** This element's wording overrides (over `Hearth.init({ strings })` and the defaults). */
    get strings(): Partial<HearthStrings> {
      return { ...this.#attributeOverrides(), ...this.#ownStrings };
    }

    set strings(value: Partial<HearthStrings>) {
      this.#ownStrings = { ...value };
      this.#applyStrings();
    }

    connectedCallback(): void {
      this.#connected = true;
      this.setAttribute('role', this.getAttribute('role') ?? 'region');
      if (!this.hasAttribute('aria-label') && !this.hasAttribute('aria-labelledby'))
        this.setAttribute('aria-label', this.#text().regionLabel);
      this.#renderPromptBox();
      hearth.addEventListener('progress', this.#onProgress);
      hearth.addEventListener('changed', this.#onChanged);
      hearth.addEventListener('catalog', this.#onCatalog);
      // A page that called Hearth.init before this element arrived: its report is already there.
      if (hearth.catalogReport !== undefined) {
        const known = hearth.catalogReport;
        queueMicrotask(() => this.#reportCatalog(known));
      }
      void this.#start();
    }

    disconnectedCallback(): void {
      this.#connected = false;
      hearth.removeEventListener('progress', this.#onProgress);
      hearth.removeEventListener('changed', this.#onChanged);
      hearth.removeEventListener('catalog', this.#onCatalog);
      if (this.#timer !== undefined) clearTimeout(this.#timer);
      this.#revokeImages([]);
    }

    attributeChangedCallback(name: string, oldValue: string | null, newValue: string | null): void {
      if (!this.#connected || oldValue === newValue) return;
      if (name === 'strings') {
        this.#applyStrings();
        return;
      }
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
        const wording = explanationOverrides(this.strings);
        const recs = await hearth.recommend({
          limit: parseLimit(this.getAttribute('limit')),
          prompt: this.#prompt.trim() === '' ? undefined : this.#prompt,
          ...(Object.keys(wording).length > 0 ? { strings: wording } : {}),
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
        const models = this.getAttribute('models') ?? undefined;
        const wasm = this.getAttribute('wasm') ?? undefined;
        const result = await hearth.init({
          catalog: catalog ?? '',
          server,
          helper,
          images,
          ...(models !== undefined ? { models } : {}),
          ...(wasm !== undefined ? { wasm } : {}),
        });
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
      const text = this.#text();
      const id = 'hearth-prompt';
      const label = document.createElement('label');
      label.htmlFor = id;
      label.textContent = text.promptLabel;
      const input = document.createElement('input');
      input.type = 'search';
      input.id = id;
      input.setAttribute('part', 'prompt-input');
      input.placeholder = text.promptPlaceholder;
      input.autocomplete = 'off';
      input.value = this.#prompt;
      input.setAttribute('aria-describedby', 'hearth-prompt-note');
      const note = document.createElement('span');
      note.id = 'hearth-prompt-note';
      note.className = 'sr-only';
      note.textContent = text.promptNote;
      const button = document.createElement('button');
      button.type = 'submit';
      button.setAttribute('part', 'prompt-submit');
      button.textContent = text.promptSubmit;
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
      const text = this.#text();
      this.#body.replaceChildren(
        renderList(document, this.#recs, layout, this.#liked, document.baseURI, images, text),
      );
      this.#revokeImages(urls);
      this.setAttribute('aria-busy', 'false');
      this.#status.textContent = fillTemplate(text.updated, { count: this.#recs.length });
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
      this.#body.replaceChildren(renderProgress(document, progress, this.#text()));
      this.#revokeImages([]);
    }

    /** Every text this element shows: defaults, then the page's, then its own. */
    #text(): HearthStrings {
      return { ...DEFAULT_STRINGS, ...hearth.strings, ...this.strings };
    }

    #attributeOverrides(): Partial<HearthStrings> {
      const raw = this.getAttribute('strings');
      if (raw !== this.#attributeStrings.raw) {
        const parsed = parseStringsAttribute(raw, (m) => console.warn(m));
        this.#attributeStrings = { raw, parsed };
      }
      return this.#attributeStrings.parsed;
    }

    /** New wording: rebuild the prompt box and the cards (explanations come from the worker). */
    #applyStrings(): void {
      if (!this.#connected) return;
      this.#form?.remove();
      this.#form = undefined;
      this.#renderPromptBox();
      if (this.getAttribute('aria-labelledby') === null)
        this.setAttribute('aria-label', this.#text().regionLabel);
      void this.refresh();
    }

    #reportCatalog(detail: CatalogReportDetail): void {
      this.dispatchEvent(
        new CustomEvent('hearth:catalog', { bubbles: true, composed: true, detail }),
      );
    }

    /**
     * Visitors see a neutral line (or nothing, when the site's `unavailable` text is empty); the
     * site owner gets the precise message in the console and in `hearth:error`.
     */
    #fail(error: unknown): void {
      const message = error instanceof Error ? error.message : String(error);
      console.error(WIDGET_MESSAGES.unavailable(message));
      this.setAttribute('aria-busy', 'false');
      const neutral = renderUnavailable(document, this.#text());
      this.#body.replaceChildren(...(neutral === null ? [] : [neutral]));
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
        target.textContent = on ? this.#text().liked : this.#text().like;
        if (on) void hearth.track({ kind: 'like', itemId }).catch((e) => this.#fail(e));
      } else if (action === 'dismiss') {
        void hearth.track({ kind: 'dismiss', itemId }).catch((e) => this.#fail(e));
      }
    }
  };
}
