/**
 * A site owner's first catalog: 20 items of hiking gear in five categories (not books), used by
 * the catalog-report, explanation and cold-start tests and by the browser tests of a foreign
 * catalog. `GEAR_WITH_PROBLEMS` adds what a hand-made file often has: a repeated id and an item
 * whose title is empty.
 */

/** One raw catalog record as a site owner writes it. */
export interface GearItem {
  readonly id: string;
  readonly title: string;
  readonly description: string;
  readonly category: string;
  readonly tags: readonly string[];
  readonly price: number;
  readonly currency: string;
}

const item = (
  id: string,
  title: string,
  category: string,
  tags: readonly string[],
  price: number,
  description: string,
): GearItem => ({ id, title, description, category, tags, price, currency: 'EUR' });

/** 20 items, 4 per category, grouped by category (as exported from a shop system). */
export const GEAR_CATALOG: readonly GearItem[] = [
  item(
    'tent-1',
    'Ultralight Two-Person Tent',
    'Tents',
    ['tent', 'backpacking'],
    349,
    'A freestanding two person backpacking tent with a waterproof fly and aluminium poles, under two kilograms.',
  ),
  item(
    'tent-2',
    'Family Dome Tent',
    'Tents',
    ['tent', 'camping'],
    279,
    'A roomy six person dome tent for car camping with two doors, a porch and blackout bedrooms.',
  ),
  item(
    'tent-3',
    'Trekking Pole Shelter',
    'Tents',
    ['tent', 'ultralight'],
    229,
    'A single wall shelter pitched with trekking poles, light enough for long distance hikes.',
  ),
  item(
    'tent-4',
    'Four-Season Mountain Tent',
    'Tents',
    ['tent', 'winter'],
    599,
    'A sturdy expedition tent that stands up to snow load and storms on high mountain camps.',
  ),
  item(
    'sleep-1',
    'Down Sleeping Bag -10°C',
    'Sleeping',
    ['sleeping bag', 'winter'],
    389,
    'A warm goose down mummy sleeping bag for cold nights, packs small in its compression sack.',
  ),
  item(
    'sleep-2',
    'Kids Sleeping Bag',
    'Sleeping',
    ['sleeping bag', 'kids'],
    59,
    'A soft synthetic sleeping bag sized for children, with a fun print and a machine washable liner.',
  ),
  item(
    'sleep-3',
    'Self-Inflating Sleeping Mat',
    'Sleeping',
    ['sleeping mat'],
    89,
    'A comfortable insulated sleeping pad that inflates itself, for tents and bivouacs.',
  ),
  item(
    'sleep-4',
    'Inflatable Camping Pillow',
    'Sleeping',
    ['pillow'],
    25,
    'A light inflatable pillow that packs to the size of a fist, for a better night outdoors.',
  ),
  item(
    'boot-1',
    'Waterproof Hiking Boots',
    'Footwear',
    ['boots', 'waterproof'],
    189,
    'Leather hiking boots with a waterproof membrane and a grippy sole for muddy trails.',
  ),
  item(
    'boot-2',
    'Trail Running Shoes',
    'Footwear',
    ['shoes', 'running'],
    139,
    'Light, cushioned trail running shoes with a rock plate and aggressive lugs.',
  ),
  item(
    'boot-3',
    'Merino Hiking Socks',
    'Footwear',
    ['socks', 'merino'],
    22,
    'Cushioned merino wool hiking socks that keep feet dry and blister free on long days.',
  ),
  item(
    'boot-4',
    'Gaiters',
    'Footwear',
    ['gaiters'],
    45,
    'Breathable gaiters that keep snow, mud and stones out of your boots.',
  ),
  item(
    'climb-1',
    'Steel Crampons',
    'Climbing',
    ['crampons', 'ice'],
    159,
    'Twelve point steel crampons for glaciers, snow slopes and mixed alpine climbing.',
  ),
  item(
    'climb-2',
    'Ice Axe',
    'Climbing',
    ['ice axe', 'mountaineering'],
    99,
    'A light mountaineering ice axe for self arrest on snow and glacier travel.',
  ),
  item(
    'climb-3',
    'Climbing Harness',
    'Climbing',
    ['harness'],
    69,
    'An adjustable climbing harness with gear loops for crag and alpine routes.',
  ),
  item(
    'climb-4',
    'Dynamic Climbing Rope 60 m',
    'Climbing',
    ['rope'],
    179,
    'A dry treated sixty metre dynamic rope for sport and alpine climbing.',
  ),
  item(
    'cook-1',
    'Backpacking Stove',
    'Cooking',
    ['stove', 'gas'],
    49,
    'A tiny gas canister stove that boils a litre of water in three minutes.',
  ),
  item(
    'cook-2',
    'Titanium Cook Pot',
    'Cooking',
    ['pot', 'titanium'],
    39,
    'A light titanium pot with a lid and folding handles for cooking on the trail.',
  ),
  item(
    'cook-3',
    'Water Filter',
    'Cooking',
    ['water', 'filter'],
    35,
    'A squeeze water filter that makes stream water safe to drink.',
  ),
  item(
    'cook-4',
    'Insulated Camp Mug',
    'Cooking',
    ['mug'],
    19,
    'A double walled mug that keeps coffee hot on cold mornings at camp.',
  ),
];

/** The categories of `GEAR_CATALOG`, in catalog order. */
export const GEAR_CATEGORIES = ['Tents', 'Sleeping', 'Footwear', 'Climbing', 'Cooking'] as const;

/**
 * `GEAR_CATALOG` with two hand-made mistakes: the 21st record repeats `boot-2`'s id (the later
 * one is kept) and the 22nd has an empty title (skipped). 22 records, 20 items load.
 */
export const GEAR_WITH_PROBLEMS: readonly object[] = [
  ...GEAR_CATALOG,
  { id: 'boot-2', title: 'Trail Running Shoes (new colour)', category: 'Footwear', price: 139 },
  { id: 'gift-card', title: '', description: 'A gift card for any amount', category: 'Gifts' },
];

/** The catalog as CSV text with the given header names for id and title. */
export function gearCsv(idHeader = 'id', titleHeader = 'title'): string {
  const quote = (v: string) => `"${v.replaceAll('"', '""')}"`;
  const header = [idHeader, titleHeader, 'description', 'category', 'tags', 'price', 'currency'];
  const rows = GEAR_CATALOG.map((g) =>
    [g.id, g.title, g.description, g.category, g.tags.join('|'), String(g.price), g.currency]
      .map(quote)
      .join(','),
  );
  return `${header.join(',')}\n${rows.join('\n')}\n`;
}
