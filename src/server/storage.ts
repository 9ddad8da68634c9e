/**
 * Durable server state in SQLite (better-sqlite3, WAL, `synchronous = FULL`). Holds models,
 * strategy state, round settings, accepted updates, LDP reports and the catalog. It stores no IP
 * address and no identifier (update ids are random per update); the only time kept per client
 * message is the UTC day a report arrived, so that reports can be deleted after the retention.
 */
import Database from 'better-sqlite3';

type Db = Database.Database;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS models (
  name TEXT NOT NULL, version INTEGER NOT NULL, params BLOB NOT NULL, layout TEXT,
  state BLOB, PRIMARY KEY (name, version));
CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS updates (
  id TEXT PRIMARY KEY, model TEXT NOT NULL, model_version INTEGER NOT NULL,
  encoding TEXT NOT NULL, length INTEGER NOT NULL, data BLOB NOT NULL, consumed_in INTEGER);
CREATE INDEX IF NOT EXISTS updates_pending ON updates (model, model_version) WHERE consumed_in IS NULL;
CREATE TABLE IF NOT EXISTS reports (
  n INTEGER PRIMARY KEY AUTOINCREMENT, epsilon REAL NOT NULL, seed INTEGER NOT NULL,
  value INTEGER NOT NULL, day INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS reports_day ON reports (day);
CREATE TABLE IF NOT EXISTS catalog_items (id TEXT PRIMARY KEY, body TEXT NOT NULL, version INTEGER NOT NULL, deleted INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS promotions (
  n INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, from_version INTEGER NOT NULL,
  served_version INTEGER NOT NULL, at INTEGER NOT NULL, override INTEGER NOT NULL,
  reason TEXT, evidence TEXT);
`;

/** A stored model version. */
export interface StoredModel {
  readonly name: string;
  readonly version: number;
  readonly params: Float32Array;
  readonly layout: string | null;
  readonly state: Float32Array[];
}

/** One promotion as stored (the operator's audit trail; `override` is 0 or 1). */
export interface StoredPromotion {
  readonly name: string;
  readonly fromVersion: number;
  readonly servedVersion: number;
  readonly at: number;
  readonly override: boolean;
  readonly reason: string | null;
  readonly evidence: string | null;
}

/** A stored, not yet aggregated update. */
export interface StoredUpdate {
  readonly id: string;
  readonly encoding: string;
  readonly length: number;
  readonly data: Uint8Array;
}

/** OLH reports of one request: ε, [seed, value] pairs, the UTC day they arrived. */
export interface ReportBatch {
  readonly epsilon: number;
  readonly reports: readonly (readonly [number, number])[];
  readonly day: number;
}

/** Options of `openServerStorage`. */
export interface StorageOptions {
  /** SQLite busy timeout in ms (how long a write waits for a lock); default 2000. */
  readonly busyTimeoutMs?: number;
  /** Caps the database size in pages (tests use it to provoke SQLITE_FULL). */
  readonly maxPageCount?: number;
  /** The clock, read once: reports migrated from an older database count as received today. */
  readonly now?: () => number;
}

/** Milliseconds per UTC day: reports are kept per day number, floor(ms / DAY_MS). */
export const DAY_MS = 86_400_000;

/** The UTC day number of a time in ms since the epoch. */
export function dayOf(ms: number): number {
  return Math.floor(ms / DAY_MS);
}

/**
 * Databases made before retention hold reports in `telemetry` (plain rowid, no day): move them
 * to `reports` (AUTOINCREMENT, so a number is never reused once the oldest rows are pruned, which
 * the aggregation's watermark relies on), dated today.
 */
function migrateTelemetry(db: Db, today: number): void {
  const old = db
    .prepare<[], { one: number }>(
      "SELECT 1 AS one FROM sqlite_master WHERE type = 'table' AND name = 'telemetry'",
    )
    .get();
  if (old === undefined) return;
  db.transaction(() => {
    db.prepare(
      'INSERT INTO reports (n, epsilon, seed, value, day) SELECT n, epsilon, seed, value, ? FROM telemetry',
    ).run(today);
    db.exec('DROP TABLE telemetry');
  }).immediate();
}

function toFloat32(blob: Buffer): Float32Array {
  const copy = new Uint8Array(blob.byteLength);
  copy.set(blob);
  return new Float32Array(copy.buffer);
}

function packState(state: readonly Float32Array[]): Buffer | null {
  if (state.length === 0) return null;
  const header = new Uint32Array([state.length, ...state.map((s) => s.length)]);
  return Buffer.concat([
    Buffer.from(header.buffer),
    ...state.map((s) => Buffer.from(s.buffer, s.byteOffset, s.byteLength)),
  ]);
}

function unpackState(blob: Buffer | null): Float32Array[] {
  if (blob === null) return [];
  const all = toFloat32(blob);
  const ints = new Uint32Array(all.buffer);
  const count = ints[0] ?? 0;
  const out: Float32Array[] = [];
  let offset = 1 + count;
  for (let i = 0; i < count; i++) {
    const len = ints[1 + i] ?? 0;
    out.push(all.slice(offset, offset + len));
    offset += len;
  }
  return out;
}

/** Opens (creating) the server database at `path` (':memory:' for tests) in WAL mode. */
export function openServerStorage(path: string, options: StorageOptions = {}) {
  const db: Db = new Database(path, { timeout: options.busyTimeoutMs ?? 2000 });
  // Updates are ~0.7 MB blobs: 64 KiB pages cut per-blob page overhead and checkpoint work
  // (applies to new files only; an existing database keeps its page size).
  db.pragma('page_size = 65536');
  db.pragma('journal_mode = WAL');
  // WAL + FULL: the WAL is fsynced at every commit, so a 2xx-acknowledged write survives a power
  // failure too (NORMAL survives SIGKILL but may lose the last commits on power loss). The cost
  // is one fsync per transaction (bench: server.updates_per_s, server.telemetry_reports_per_s).
  db.pragma('synchronous = FULL');
  if (options.maxPageCount !== undefined) db.pragma(`max_page_count = ${options.maxPageCount}`);
  db.exec(SCHEMA);
  migrateTelemetry(db, dayOf((options.now ?? Date.now)()));

  const s = {
    latestModel: db.prepare<
      [string],
      { name: string; version: number; params: Buffer; layout: string | null; state: Buffer | null }
    >(
      'SELECT name, version, params, layout, state FROM models WHERE name = ? ORDER BY version DESC LIMIT 1',
    ),
    model: db.prepare<
      [string, number],
      { name: string; version: number; params: Buffer; layout: string | null; state: Buffer | null }
    >('SELECT name, version, params, layout, state FROM models WHERE name = ? AND version = ?'),
    insertPromotion: db.prepare(
      'INSERT INTO promotions (name, from_version, served_version, at, override, reason, evidence) VALUES (?, ?, ?, ?, ?, ?, ?)',
    ),
    promotions: db.prepare<
      [string, string, number],
      {
        name: string;
        from_version: number;
        served_version: number;
        at: number;
        override: number;
        reason: string | null;
        evidence: string | null;
      }
    >(
      "SELECT name, from_version, served_version, at, override, reason, evidence FROM promotions WHERE ? = '' OR name = ? ORDER BY n DESC LIMIT ?",
    ),
    latestVersion: db.prepare<[string], { v: number | null }>(
      'SELECT MAX(version) AS v FROM models WHERE name = ?',
    ),
    modelLength: db.prepare<[string, number], { n: number }>(
      'SELECT length(params) / 4 AS n FROM models WHERE name = ? AND version = ?',
    ),
    modelNames: db.prepare<[], { name: string }>('SELECT DISTINCT name FROM models ORDER BY name'),
    insertModel: db.prepare(
      'INSERT INTO models (name, version, params, layout, state) VALUES (?, ?, ?, ?, ?)',
    ),
    getSetting: db.prepare<[string], { value: string }>('SELECT value FROM settings WHERE key = ?'),
    setSetting: db.prepare(
      'INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value',
    ),
    insertUpdate: db.prepare(
      'INSERT OR IGNORE INTO updates (id, model, model_version, encoding, length, data) VALUES (?, ?, ?, ?, ?, ?)',
    ),
    hasUpdate: db.prepare<[string], { one: number }>('SELECT 1 AS one FROM updates WHERE id = ?'),
    pendingCount: db.prepare<[string, number], { n: number }>(
      'SELECT COUNT(*) AS n FROM updates WHERE model = ? AND model_version = ? AND consumed_in IS NULL',
    ),
    pending: db.prepare<
      [string, number],
      { id: string; encoding: string; length: number; data: Buffer }
    >(
      'SELECT id, encoding, length, data FROM updates WHERE model = ? AND model_version = ? AND consumed_in IS NULL ORDER BY rowid',
    ),
    pendingIds: db.prepare<[string, number], { id: string }>(
      'SELECT id FROM updates WHERE model = ? AND model_version = ? AND consumed_in IS NULL ORDER BY rowid',
    ),
    // A counted update keeps its id (replay protection) but drops its payload.
    consume: db.prepare(
      "UPDATE updates SET consumed_in = ?, data = X'' WHERE id = ? AND consumed_in IS NULL",
    ),
    pruneModels: db.prepare('DELETE FROM models WHERE name = ? AND version < ?'),
    pruneState: db.prepare('UPDATE models SET state = NULL WHERE name = ? AND version < ?'),
    dropStale: db.prepare(
      "UPDATE updates SET data = X'' WHERE model = ? AND model_version < ? AND consumed_in IS NULL",
    ),
    insertReport: db.prepare('INSERT INTO reports (epsilon, seed, value, day) VALUES (?, ?, ?, ?)'),
    reportsAfter: db.prepare<[number, number, number], { n: number; seed: number; value: number }>(
      'SELECT n, seed, value FROM reports WHERE n > ? AND epsilon = ? ORDER BY n LIMIT ?',
    ),
    expiredReports: db.prepare<
      [number, number],
      { n: number; epsilon: number; seed: number; value: number }
    >(
      // (day, n) is the order of the reports_day index: no sort, however many rows expired.
      'SELECT n, epsilon, seed, value FROM reports WHERE day < ? ORDER BY day, n LIMIT ?',
    ),
    deleteReport: db.prepare('DELETE FROM reports WHERE n = ?'),
    maxReport: db.prepare<[], { n: number | null }>('SELECT MAX(n) AS n FROM reports'),
    reportCount: db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM reports'),
    catalogRows: db.prepare<[], { id: string; body: string; version: number; deleted: number }>(
      'SELECT id, body, version, deleted FROM catalog_items',
    ),
    catalogSince: db.prepare<[number], { id: string; body: string; deleted: number }>(
      'SELECT id, body, deleted FROM catalog_items WHERE version > ? ORDER BY id',
    ),
    catalogLive: db.prepare<[], { id: string; body: string }>(
      'SELECT id, body FROM catalog_items WHERE deleted = 0 ORDER BY id',
    ),
    upsertItem: db.prepare(
      'INSERT INTO catalog_items (id, body, version, deleted) VALUES (?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET body = excluded.body, version = excluded.version, deleted = excluded.deleted',
    ),
  };

  const rowToModel = (row: {
    name: string;
    version: number;
    params: Buffer;
    layout: string | null;
    state: Buffer | null;
  }): StoredModel => ({
    name: row.name,
    version: row.version,
    params: toFloat32(row.params),
    layout: row.layout,
    state: unpackState(row.state),
  });

  return {
    db,
    /** Runs `fn` in one IMMEDIATE transaction (all or nothing, even under SIGKILL). */
    transaction<T>(fn: () => T): T {
      return db.transaction(fn).immediate();
    },
    latestModel(name: string): StoredModel | null {
      const row = s.latestModel.get(name);
      return row === undefined ? null : rowToModel(row);
    },
    /** One stored version of a model (null when it was never stored or has been pruned). */
    model(name: string, version: number): StoredModel | null {
      const row = s.model.get(name, version);
      return row === undefined ? null : rowToModel(row);
    },
    /** Appends a promotion to the audit trail. */
    insertPromotion(p: StoredPromotion): void {
      s.insertPromotion.run(
        p.name,
        p.fromVersion,
        p.servedVersion,
        p.at,
        p.override ? 1 : 0,
        p.reason,
        p.evidence,
      );
    },
    /** The newest `limit` promotions, of model `name` or (with '') of every model. */
    promotions(name: string, limit: number): StoredPromotion[] {
      return s.promotions.all(name, name, limit).map((r) => ({
        name: r.name,
        fromVersion: r.from_version,
        servedVersion: r.served_version,
        at: r.at,
        override: r.override === 1,
        reason: r.reason,
        evidence: r.evidence,
      }));
    },
    /** Latest version number without loading the parameters (null if none). */
    latestVersion(name: string): number | null {
      return s.latestVersion.get(name)?.v ?? null;
    },
    /** Parameter count of one stored version. */
    modelLength(name: string, version: number): number {
      return s.modelLength.get(name, version)?.n ?? 0;
    },
    modelNames(): string[] {
      return s.modelNames.all().map((r) => r.name);
    },
    insertModel(model: StoredModel): void {
      s.insertModel.run(
        model.name,
        model.version,
        Buffer.from(model.params.buffer, model.params.byteOffset, model.params.byteLength),
        model.layout,
        packState(model.state),
      );
    },
    getSetting(key: string): string | null {
      return s.getSetting.get(key)?.value ?? null;
    },
    setSetting(key: string, value: string): void {
      s.setSetting.run(key, value);
    },
    /** Inserts an update; false when the id was already stored (replay). */
    insertUpdate(u: {
      id: string;
      model: string;
      modelVersion: number;
      encoding: string;
      length: number;
      data: Uint8Array;
    }): boolean {
      const info = s.insertUpdate.run(
        u.id,
        u.model,
        u.modelVersion,
        u.encoding,
        u.length,
        Buffer.from(u.data.buffer, u.data.byteOffset, u.data.byteLength),
      );
      return info.changes === 1;
    },
    /**
     * Keeps the last `keep` versions of a model (optimizer state only on the newest) and drops
     * the payloads of stale pending updates, so storage stays bounded over many rounds.
     */
    prune(name: string, latest: number, keep: number): void {
      s.pruneModels.run(name, latest - keep + 1);
      s.pruneState.run(name, latest);
      s.dropStale.run(name, latest);
    },
    hasUpdate(id: string): boolean {
      return s.hasUpdate.get(id) !== undefined;
    },
    pendingCount(model: string, version: number): number {
      return s.pendingCount.get(model, version)?.n ?? 0;
    },
    /** Pending updates one row at a time (one blob in memory at once). */
    *iteratePending(model: string, version: number): Generator<StoredUpdate> {
      for (const r of s.pending.iterate(model, version)) {
        yield { id: r.id, encoding: r.encoding, length: r.length, data: new Uint8Array(r.data) };
      }
    },
    pendingIds(model: string, version: number): string[] {
      return s.pendingIds.all(model, version).map((r) => r.id);
    },
    pendingUpdates(model: string, version: number): StoredUpdate[] {
      return s.pending.all(model, version).map((r) => ({
        id: r.id,
        encoding: r.encoding,
        length: r.length,
        data: new Uint8Array(r.data),
      }));
    },
    /** Marks an update as counted in `version`; returns false if it was already counted. */
    consumeUpdate(id: string, version: number): boolean {
      return s.consume.run(version, id).changes === 1;
    },
    /** Stores a batch of OLH reports received on UTC day `day`, all or nothing. */
    insertReports(
      epsilon: number,
      reports: readonly (readonly [number, number])[],
      day: number,
    ): void {
      this.insertReportBatches([{ epsilon, reports, day }]);
    },
    /** Stores several batches in one transaction (one commit, one fsync), all or nothing. */
    insertReportBatches(batches: readonly ReportBatch[]): void {
      db.transaction(() => {
        for (const { epsilon, reports, day } of batches)
          for (const [seed, value] of reports) s.insertReport.run(epsilon, seed, value, day);
      }).immediate();
    },
    /** Up to `limit` reports at `epsilon` numbered above `after`, in order. */
    reportsAfter(after: number, epsilon: number, limit = 100_000) {
      return s.reportsAfter.all(after, epsilon, limit);
    },
    /** Up to `limit` of the reports received before UTC day `day`, oldest day first. */
    expiredReports(day: number, limit: number) {
      return s.expiredReports.all(day, limit);
    },
    /** Deletes the reports numbered `ns` in one transaction; returns how many were deleted. */
    deleteReports(ns: readonly number[]): number {
      return db
        .transaction(() => ns.reduce((sum, n) => sum + s.deleteReport.run(n).changes, 0))
        .immediate();
    },
    /** Highest report number stored (0 when none). */
    maxReport(): number {
      return s.maxReport.get()?.n ?? 0;
    },
    reportCount(): number {
      return s.reportCount.get()?.n ?? 0;
    },
    catalogRows() {
      return s.catalogRows.all();
    },
    catalogSince(version: number) {
      return s.catalogSince.all(version);
    },
    catalogLive() {
      return s.catalogLive.all();
    },
    upsertItem(id: string, body: string, version: number, deleted: boolean): void {
      s.upsertItem.run(id, body, version, deleted ? 1 : 0);
    },
    close(): void {
      db.close();
    },
  };
}

/** The storage API the app depends on. */
export type ServerStorage = ReturnType<typeof openServerStorage>;
