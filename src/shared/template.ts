/** Filling `{name}` placeholders of the site's wording (explanations, the widget's texts). */

/**
 * Replaces each `{name}` in `template` with `values[name]`; a placeholder without a value is
 * left as written, so a typo in a site's template shows instead of vanishing.
 */
export function fillTemplate(
  template: string,
  values: Readonly<Record<string, string | number>>,
): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    Object.hasOwn(values, name) ? String(values[name]) : whole,
  );
}
