/**
 * HPKE for the aggregators and the collector, through `hpke-js` (the library `@divviup/dap` seals
 * the client's input shares with): the suite DAP-09 makes mandatory — DHKEM(X25519, HKDF-SHA256),
 * HKDF-SHA256, AES-128-GCM — key generation, opening input shares and sealing aggregate shares.
 * Keys are generated with Node's X25519 (synchronous, so an aggregator has its key before it
 * serves) and stored raw: 32-byte private and public keys, as RFC 7748 and HPKE serialise them.
 */
import { generateKeyPairSync } from 'node:crypto';
import { AeadId, CipherSuite, KdfId, KemId } from 'hpke-js';
import type { HpkeCiphertext, HpkeConfig } from '../../wire/dap/upload.ts';

/** The HPKE ids of DAP-09's mandatory suite (as they appear in an HpkeConfig). */
export const DAP_HPKE_SUITE = { kemId: 0x0020, kdfId: 0x0001, aeadId: 0x0001 } as const;

/** A keypair with the HpkeConfig that publishes its public half. */
export interface HpkeKeypair {
  readonly config: HpkeConfig;
  /** Raw X25519 private key (32 bytes). */
  readonly privateKey: Uint8Array;
}

/** Decryption failed: wrong key, config id, info, aad, or a tampered ciphertext. */
export class HpkeOpenError extends Error {
  override readonly name = 'HpkeOpenError';
}

// hpke-js's CipherSuite constructor replaces the ids in the object it is given with algorithm
// instances, so it gets a fresh literal.
const suite = new CipherSuite({
  kem: KemId.DhkemX25519HkdfSha256,
  kdf: KdfId.HkdfSha256,
  aead: AeadId.Aes128Gcm,
});

/** Generates an X25519 keypair published under config id `id` (0–255). */
export function generateHpkeKeypair(id: number): HpkeKeypair {
  const { privateKey } = generateKeyPairSync('x25519');
  const jwk = privateKey.export({ format: 'jwk' });
  if (jwk.d === undefined || jwk.x === undefined) throw new Error('X25519 key export failed');
  return {
    config: { id, ...DAP_HPKE_SUITE, publicKey: Buffer.from(jwk.x, 'base64url') },
    privateKey: Buffer.from(jwk.d, 'base64url'),
  };
}

const privateKeys = new Map<string, Promise<CryptoKey>>();

function recipientKey(keypair: HpkeKeypair): Promise<CryptoKey> {
  const cacheKey = Buffer.from(keypair.privateKey).toString('base64');
  let key = privateKeys.get(cacheKey);
  if (key === undefined) {
    key = suite.kem.deserializePrivateKey(new Uint8Array(keypair.privateKey).buffer);
    privateKeys.set(cacheKey, key);
  }
  return key;
}

/** Opens a ciphertext sealed to `keypair` (HPKE base mode); throws HpkeOpenError on any failure. */
export async function hpkeOpen(
  keypair: HpkeKeypair,
  ciphertext: HpkeCiphertext,
  info: Uint8Array,
  aad: Uint8Array,
): Promise<Uint8Array> {
  if (ciphertext.configId !== keypair.config.id)
    throw new HpkeOpenError(
      `ciphertext is for HPKE config ${ciphertext.configId}, this key is config ${keypair.config.id}`,
    );
  try {
    const plaintext = await suite.open(
      { recipientKey: await recipientKey(keypair), enc: new Uint8Array(ciphertext.enc), info },
      new Uint8Array(ciphertext.payload),
      aad,
    );
    return new Uint8Array(plaintext);
  } catch (error) {
    throw new HpkeOpenError(
      `HPKE open failed: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

/** Seals `plaintext` to the holder of `config` (HPKE base mode). */
export async function hpkeSeal(
  config: HpkeConfig,
  plaintext: Uint8Array,
  info: Uint8Array,
  aad: Uint8Array,
): Promise<HpkeCiphertext> {
  const recipientPublicKey = await suite.kem.deserializePublicKey(
    new Uint8Array(config.publicKey).buffer,
  );
  const { ct, enc } = await suite.seal({ recipientPublicKey, info }, plaintext, aad);
  return { configId: config.id, enc: new Uint8Array(enc), payload: new Uint8Array(ct) };
}
