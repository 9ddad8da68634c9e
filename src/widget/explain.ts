/** Turns a recommendation's reason into one short sentence for the card. */
import type { Reason } from './types.ts';

/** A readable explanation ("Because you viewed Dracula"); never includes catalog markup. */
export function explain(reason: Reason): string {
  switch (reason.kind) {
    case 'similar':
      return reason.title ? `Because you viewed ${reason.title}` : 'Similar to what you viewed';
    case 'prompt':
      return reason.terms.length > 0
        ? `Matches “${reason.terms.slice(0, 3).join(', ')}”`
        : 'Matches what you asked for';
    case 'popular':
      return 'Popular with readers';
    case 'new':
      return 'New in the catalog';
    case 'collab':
      return reason.title ? `Readers of ${reason.title} liked this` : 'Readers like you liked this';
    case 'category':
      return `More ${reason.category}`;
    case 'explore':
      return 'Something different';
    case 'picked':
      return 'Picked for you';
    default: {
      const unknown: never = reason;
      return String(unknown);
    }
  }
}
