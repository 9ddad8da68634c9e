/**
 * An aggregator's HPKE keypair (and the leader's collector keypair), generated on first start and
 * kept in its own database, so a restart serves the same HPKE configuration clients have cached.
 * Config ids are drawn at random: a report sealed to another deployment's key is refused as
 * `outdatedConfig` instead of failing to decrypt later.
 */
import { randomInt } from 'node:crypto';
import { DAP_HPKE_SUITE, generateHpkeKeypair, type HpkeKeypair } from './hpke.ts';
import type { DapStorage } from './storage.ts';

/** The stored keypair of `role`, created (and stored) if there is none. */
export function loadOrCreateKeypair(
  storage: DapStorage,
  role: 'leader' | 'helper' | 'collector',
): HpkeKeypair {
  const stored = storage.key(role);
  if (stored !== null)
    return {
      config: { id: stored.configId, ...DAP_HPKE_SUITE, publicKey: stored.publicKey },
      privateKey: stored.privateKey,
    };
  const fresh = generateHpkeKeypair(randomInt(1, 256));
  storage.insertKey(role, fresh.config.id, fresh.config.publicKey, fresh.privateKey);
  // Two processes starting on one database at once: the first insert wins, read it back.
  return loadOrCreateKeypair(storage, role);
}
