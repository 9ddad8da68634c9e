/**
 * The TLS presentation language (RFC 8446 §3) that DAP messages are written in: big-endian
 * integers, length-prefixed opaque strings and vectors. `@divviup/dap` carries a parser of its own
 * but does not export it (its package `exports` name only the entry point), and that parser has
 * no u32, u64 or opaque32, which every DAP-09 aggregator message needs.
 */

/** A message that does not decode: truncated, overrunning, trailing bytes or an unknown tag. */
export class DapDecodeError extends Error {
  override readonly name = 'DapDecodeError';
}

/** Reads one message front to back; every read checks the bytes are there. */
export class Reader {
  #offset = 0;
  readonly #bytes: Uint8Array;
  readonly #view: DataView;

  constructor(
    bytes: Uint8Array,
    readonly what = 'message',
  ) {
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  #need(n: number): void {
    if (this.#offset + n > this.#bytes.length)
      throw new DapDecodeError(
        `${this.what} is truncated: ${n} bytes needed at byte ${this.#offset}, ${this.#bytes.length - this.#offset} left`,
      );
  }

  /** Where the next read starts. */
  get offset(): number {
    return this.#offset;
  }

  u8(): number {
    this.#need(1);
    return this.#bytes[this.#offset++] ?? 0;
  }

  u16(): number {
    this.#need(2);
    const v = this.#view.getUint16(this.#offset);
    this.#offset += 2;
    return v;
  }

  u32(): number {
    this.#need(4);
    const v = this.#view.getUint32(this.#offset);
    this.#offset += 4;
    return v;
  }

  u64(): bigint {
    this.#need(8);
    const v = this.#view.getBigUint64(this.#offset);
    this.#offset += 8;
    return v;
  }

  /** `n` bytes as a view into the message (no copy). */
  bytes(n: number): Uint8Array {
    this.#need(n);
    const v = this.#bytes.subarray(this.#offset, this.#offset + n);
    this.#offset += n;
    return v;
  }

  opaque16(): Uint8Array {
    return this.bytes(this.u16());
  }

  opaque32(): Uint8Array {
    return this.bytes(this.u32());
  }

  /** A vector with a 2- or 4-byte length prefix in bytes, of items read by `item`. */
  vector<T>(lengthBytes: 2 | 4, item: (r: Reader) => T): T[] {
    const length = lengthBytes === 2 ? this.u16() : this.u32();
    const end = this.#offset + length;
    if (end > this.#bytes.length)
      throw new DapDecodeError(
        `${this.what}: a vector of ${length} bytes at byte ${this.#offset} overruns the ${this.#bytes.length}-byte message`,
      );
    const out: T[] = [];
    while (this.#offset < end) out.push(item(this));
    if (this.#offset !== end)
      throw new DapDecodeError(`${this.what}: the last item overruns its vector's ${length} bytes`);
    return out;
  }

  /** Throws unless every byte was read. */
  done(): void {
    if (this.#offset !== this.#bytes.length)
      throw new DapDecodeError(
        `${this.what} has ${this.#bytes.length - this.#offset} trailing bytes after byte ${this.#offset}`,
      );
  }
}

/** Writes one message; `finish()` joins the parts. */
export class Writer {
  readonly #parts: Uint8Array[] = [];
  #length = 0;

  #push(b: Uint8Array): this {
    this.#parts.push(b);
    this.#length += b.length;
    return this;
  }

  #number(bytes: number, set: (view: DataView) => void): this {
    const b = new Uint8Array(bytes);
    set(new DataView(b.buffer));
    return this.#push(b);
  }

  u8(v: number): this {
    return this.#push(Uint8Array.of(v));
  }

  u16(v: number): this {
    return this.#number(2, (d) => d.setUint16(0, v));
  }

  u32(v: number): this {
    return this.#number(4, (d) => d.setUint32(0, v));
  }

  u64(v: bigint): this {
    return this.#number(8, (d) => d.setBigUint64(0, v));
  }

  bytes(b: Uint8Array): this {
    return this.#push(b);
  }

  opaque16(b: Uint8Array): this {
    return this.u16(b.length).#push(b);
  }

  opaque32(b: Uint8Array): this {
    return this.u32(b.length).#push(b);
  }

  /** A vector with a 2- or 4-byte length prefix over already encoded items. */
  vector(lengthBytes: 2 | 4, items: readonly Uint8Array[]): this {
    const total = items.reduce((s, i) => s + i.length, 0);
    if (lengthBytes === 2) this.u16(total);
    else this.u32(total);
    for (const i of items) this.#push(i);
    return this;
  }

  /** The message as one array. */
  finish(): Uint8Array<ArrayBuffer> {
    const out = new Uint8Array(this.#length);
    let o = 0;
    for (const p of this.#parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }
}

/** Unpadded base64url (task, report and job ids in URLs and problem documents). */
export function base64url(bytes: Uint8Array): string {
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** Bytes of an unpadded base64url string; null when it is not one. */
export function fromBase64url(text: string): Uint8Array<ArrayBuffer> | null {
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) return null;
  const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}
