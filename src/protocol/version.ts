/** Wire protocol version carried in every message as `v`; bump on any incompatible change. */
export const PROTOCOL_VERSION = 1 as const;
