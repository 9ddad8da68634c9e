/**
 * Caps applied to every catalog item (in UTF-16 code units, after sanitising). Longer text is
 * cut and the cut is reported as a warning; raw fields are read up to `rawFieldChars` first so
 * that a huge field cannot stall the sanitiser.
 */
export const CATALOG_LIMITS = {
  idChars: 256,
  titleChars: 300,
  descriptionChars: 5000,
  tags: 50,
  tagChars: 100,
  categoryChars: 200,
  urlChars: 2048,
  extraKeys: 32,
  extraKeyChars: 64,
  extraValueChars: 1000,
  rawFieldChars: 65_536,
} as const;
