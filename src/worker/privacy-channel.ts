/**
 * Tells every other Hearth context of this origin (tabs, workers) at once that the visitor turned
 * consent off or asked "Forget me", over `BroadcastChannel('hearth')`. The message is only a
 * prompt to drop what a context holds in memory (queued telemetry): what decides whether anything
 * may leave is the stored consent, which the gate's ledger reads inside every send.
 */
import { z } from 'zod';

/** The channel every Hearth context listens on. */
export const PRIVACY_CHANNEL = 'hearth';

const PrivacySignalSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('consent'), db: z.string(), on: z.boolean() }),
  z.object({ kind: z.literal('forget') }),
]);

/** One message: a consent change in database `db`, or "Forget me" (every Hearth database). */
export type PrivacySignal = z.infer<typeof PrivacySignalSchema>;

/** Posts privacy signals to the other contexts and hands theirs to `onSignal`. */
export interface PrivacyChannel {
  post(signal: PrivacySignal): void;
  close(): void;
}

/**
 * Opens the channel; `onSignal` receives what OTHER contexts post (a BroadcastChannel never
 * delivers to its own sender). Without BroadcastChannel (old runtimes) it does nothing: the
 * stored-consent check in every send still holds.
 */
export function openPrivacyChannel(onSignal: (signal: PrivacySignal) => void): PrivacyChannel {
  if (typeof BroadcastChannel !== 'function') return { post() {}, close() {} };
  const channel = new BroadcastChannel(PRIVACY_CHANNEL);
  // Node keeps its event loop alive for an open channel; a listener must not hold a process.
  (channel as { unref?: () => void }).unref?.();
  channel.addEventListener('message', (event: MessageEvent<unknown>) => {
    const parsed = PrivacySignalSchema.safeParse(event.data);
    if (parsed.success) onSignal(parsed.data);
  });
  return {
    post: (signal) => channel.postMessage(signal),
    close: () => channel.close(),
  };
}
