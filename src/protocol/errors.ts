/** Wire schema of every error body the server sends. */
import { z } from 'zod';

/** Machine-readable error codes. */
export const ErrorCodeSchema = z.enum([
  'bad_json',
  'bad_content_type',
  'invalid',
  'too_large',
  'unauthorized',
  'rate_limited',
  'stale_version',
  'round_closed',
  /** A released sum whose noise would swamp what it is used for (e.g. a ranker step's count). */
  'too_noisy',
  /** A promotion the federated evaluation does not support (run an evaluation or override). */
  'evaluation_required',
  'not_found',
  'unavailable',
  'internal',
]);
export type ErrorCode = z.infer<typeof ErrorCodeSchema>;

/** `{ error: { code, message, reasons? } }`; reasons list each failed check. */
export const ErrorBodySchema = z.strictObject({
  error: z.strictObject({
    code: ErrorCodeSchema,
    message: z.string(),
    reasons: z.array(z.string()).optional(),
  }),
});
export type ErrorBody = z.infer<typeof ErrorBodySchema>;
