/**
 * DOM building for <hearth-recs>: cards, progress and error states. Catalog text only ever goes
 * through `textContent` and attributes set with setAttribute (never innerHTML), and links or
 * images with a non-http(s) scheme are dropped. Images come from the device's cache by default
 * (an object URL of the Blob the worker attached), so showing a card loads nothing from the
 * network. Rendering only: nothing here computes scores.
 */
import type { ImageMode } from '../catalog/catalog.api.ts';
import { fillTemplate } from '../shared/template.ts';
import { formatPrice, progressFraction } from './format.ts';
import { safeUrl } from './safe-url.ts';
import type { WidgetStrings } from './strings.ts';
import type { Progress, Recommendation, WidgetLayout } from './types.ts';

function stageLabel(stage: Progress['stage'], strings: WidgetStrings): string {
  switch (stage) {
    case 'model':
      return strings.loadingModel;
    case 'catalog':
      return strings.loadingCatalog;
    case 'embedding':
      return strings.loadingItems;
    case 'ready':
      return strings.ready;
    default: {
      const never: never = stage;
      throw new Error(`Unknown stage ${String(never)}`);
    }
  }
}

/** How cards show item images. */
export interface CardImages {
  readonly mode: ImageMode;
  /** A displayable URL for a cached image; the caller revokes it when the cards are replaced. */
  objectUrl(blob: Blob): string;
}

/** Reads the `images` attribute: `none` or `direct` as given, anything else `cached`. */
export function parseImageMode(value: string | null): ImageMode {
  return value === 'none' || value === 'direct' ? value : 'cached';
}

function el<K extends keyof HTMLElementTagNameMap>(
  doc: Document,
  tag: K,
  attrs: Record<string, string> = {},
  text?: string,
): HTMLElementTagNameMap[K] {
  const node = doc.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

/** The author and year line, from the item's extra fields when the catalog has them. */
function byline(rec: Recommendation): string {
  const author = rec.item.extra.author;
  const year = rec.item.extra.year;
  const parts: string[] = [];
  if (typeof author === 'string' && author !== '') parts.push(author);
  if (typeof year === 'number' || (typeof year === 'string' && year !== ''))
    parts.push(String(year));
  return parts.join(', ');
}

/** An `<img>` of the card's size. */
function image(doc: Document, src: string, alt: string): HTMLImageElement {
  const img = el(doc, 'img', { part: 'image', decoding: 'async', alt });
  img.setAttribute('width', '120');
  img.setAttribute('height', '180');
  img.setAttribute('src', src);
  return img;
}

/**
 * The card's image: in `cached` mode the cached Blob or, for an item whose image is not cached,
 * a neutral placeholder (never a network load); in `direct` mode the catalog URL (the image host
 * learns what was recommended); nothing in `none` mode.
 */
function cardImage(
  doc: Document,
  rec: Recommendation,
  base: string,
  images: CardImages,
): HTMLElement | null {
  const src = safeUrl(rec.item.image, base);
  switch (images.mode) {
    case 'none':
      return null;
    case 'direct': {
      if (src === undefined) return null;
      const img = image(doc, src, rec.item.title);
      img.setAttribute('loading', 'lazy');
      return img;
    }
    case 'cached':
      if (rec.cachedImage !== undefined)
        return image(doc, images.objectUrl(rec.cachedImage), rec.item.title);
      return src === undefined
        ? null
        : el(doc, 'span', {
            part: 'image placeholder',
            class: 'placeholder',
            'aria-hidden': 'true',
          });
    default: {
      const never: never = images.mode;
      throw new Error(`Unknown image mode ${String(never)}`);
    }
  }
}

/** Builds one card: link with image and title, byline, reason, like and dismiss buttons. */
export function renderCard(
  doc: Document,
  rec: Recommendation,
  liked: boolean,
  base: string,
  images: CardImages,
  strings: WidgetStrings,
): HTMLLIElement {
  const { item } = rec;
  const named = { title: item.title };
  const titleId = `hr-title-${item.id.replace(/[^A-Za-z0-9_-]/g, '_')}`;
  const card = el(doc, 'li', { part: 'card', 'data-item-id': item.id, 'aria-labelledby': titleId });
  const href = safeUrl(item.url, base);
  const link = el(doc, 'a', { part: 'link', 'data-action': 'open' });
  if (href !== undefined) link.setAttribute('href', href);
  const picture = cardImage(doc, rec, base, images);
  if (picture !== null) link.append(picture);
  link.append(el(doc, 'span', { part: 'title', id: titleId }, item.title));
  card.append(link);
  const by = byline(rec);
  if (by !== '') card.append(el(doc, 'span', { part: 'byline' }, by));
  const price = formatPrice(item.price, item.currency);
  if (price !== '') card.append(el(doc, 'span', { part: 'price' }, price));
  card.append(el(doc, 'span', { part: 'reason' }, rec.explanation));
  const actions = el(doc, 'div', {
    part: 'actions',
    role: 'group',
    'aria-label': fillTemplate(strings.actionsLabel, named),
  });
  const like = el(
    doc,
    'button',
    {
      type: 'button',
      part: 'like',
      'data-action': 'like',
      'aria-pressed': String(liked),
      'aria-label': fillTemplate(strings.likeLabel, named),
    },
    liked ? strings.liked : strings.like,
  );
  const dismiss = el(
    doc,
    'button',
    {
      type: 'button',
      part: 'dismiss',
      'data-action': 'dismiss',
      'aria-label': fillTemplate(strings.dismissLabel, named),
    },
    strings.dismiss,
  );
  actions.append(like, dismiss);
  card.append(actions);
  return card;
}

/** Builds the list of cards for a layout. */
export function renderList(
  doc: Document,
  recs: readonly Recommendation[],
  layout: WidgetLayout,
  liked: ReadonlySet<string>,
  base: string,
  images: CardImages,
  strings: WidgetStrings,
): HTMLUListElement {
  const list = el(doc, 'ul', {
    part: `list ${layout}`,
    class: layout,
    role: 'list',
    'aria-label': strings.listLabel,
  });
  if (layout === 'carousel') list.setAttribute('tabindex', '0');
  for (const rec of recs)
    list.append(renderCard(doc, rec, liked.has(rec.item.id), base, images, strings));
  if (recs.length === 0) list.append(el(doc, 'li', { part: 'empty' }, strings.empty));
  return list;
}

/** Builds (or updates) the progress bar for a loading stage. */
export function renderProgress(
  doc: Document,
  progress: Progress,
  strings: WidgetStrings,
): HTMLDivElement {
  const fraction = progressFraction(progress.done, progress.total);
  const label = stageLabel(progress.stage, strings);
  const wrap = el(doc, 'div', { part: 'loading', class: 'loading' });
  const bar = el(doc, 'div', {
    part: 'progress',
    role: 'progressbar',
    'aria-label': label,
    'aria-valuemin': '0',
    'aria-valuemax': '100',
  });
  if (progress.total > 0) bar.setAttribute('aria-valuenow', String(Math.round(fraction * 100)));
  const fill = el(doc, 'div', { part: 'progress-fill', class: 'fill' });
  fill.style.width = `${(fraction * 100).toFixed(1)}%`;
  bar.append(fill);
  const detail = progress.total > 0 ? ` (${Math.round(fraction * 100)}%)` : '…';
  wrap.append(el(doc, 'span', { part: 'progress-label' }, `${label}${detail}`), bar);
  return wrap;
}

/**
 * Builds what a visitor sees when recommendations fail: a short neutral line and a retry button,
 * never the error itself (that goes to the console and the `hearth:error` event for the site
 * owner); nothing when the site set `unavailable` to ''.
 */
export function renderUnavailable(doc: Document, strings: WidgetStrings): HTMLDivElement | null {
  if (strings.unavailable === '') return null;
  const box = el(doc, 'div', { part: 'error', role: 'status' });
  box.append(
    el(doc, 'span', {}, strings.unavailable),
    el(doc, 'button', { type: 'button', part: 'retry', 'data-action': 'retry' }, strings.retry),
  );
  return box;
}
