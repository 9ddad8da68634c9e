/** Wire protocol version carried in every message as `v`; bump on any incompatible change. */
export const PROTOCOL_VERSION = 1 as const;

/**
 * Version `v` of a telemetry batch, bumped on its own because only the meaning of its reports
 * changed: version 2 hashes item ids to 64-bit keys (`itemKey64` in src/shared/hash.ts), version 1
 * used a 32-bit FNV-1a, so a version-1 report counted under version 2 would support random items.
 */
export const TELEMETRY_VERSION = 2 as const;
