/**
 * The on-device image cache (IndexedDB store `images`, schema v4): catalog images as Blobs keyed
 * by absolute URL, written by the catalog sync and read by the worker to hand recommendations
 * their image, so that a card never loads an image from the network.
 */
import type { IDBPDatabase } from 'idb';
import { writeTx } from './catalog-store.ts';
import type { HearthDB, ImageRecord } from './schema.ts';

/** Reads and writes cached catalog images. */
export class ImageStore {
  constructor(readonly db: IDBPDatabase<HearthDB>) {}

  /** Every cached image. */
  all(): Promise<ImageRecord[]> {
    return this.db.getAll('images');
  }

  /** Stores one image (replacing one with the same URL). */
  async put(record: ImageRecord): Promise<void> {
    await writeTx(this.db, ['images'], (tx) => tx.objectStore('images').put(record));
  }

  /** Deletes the images of these URLs in one transaction. */
  async delete(urls: Iterable<string>): Promise<void> {
    const list = [...urls];
    if (list.length === 0) return;
    await writeTx(this.db, ['images'], async (tx) => {
      await Promise.all(list.map((url) => tx.objectStore('images').delete(url)));
    });
  }
}
