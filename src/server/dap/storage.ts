/**
 * Durable state of a DAP aggregator in SQLite (better-sqlite3, WAL, `synchronous = FULL`, so a
 * 201-acknowledged report or a committed aggregation survives SIGKILL and power loss). The leader
 * keeps its tables in the thin server's database, the helper in its own file. Stored: this
 * aggregator's HPKE keys (and the leader's collector key), the tasks it holds with their verify
 * keys, one row per report id (the leader keeps the report until it is aggregated; the helper
 * only the id, for replay protection), one accumulated aggregate share per task (never a
 * per-report output share), rejection counters by reason, aggregation jobs (the helper keeps its
 * answer so a retried job is answered the same without counting twice), collection jobs and
 * published results. No client address or identifier beyond the random report ids.
 */
import Database from 'better-sqlite3';

type Db = Database.Database;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS dap_keys (
  role TEXT PRIMARY KEY, config_id INTEGER NOT NULL, public_key BLOB NOT NULL, private_key BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS dap_tasks (
  id TEXT PRIMARY KEY, body TEXT NOT NULL, verify_key BLOB NOT NULL, collector_config BLOB NOT NULL,
  created_at INTEGER NOT NULL, closed INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS dap_reports (
  task_id TEXT NOT NULL, report_id BLOB NOT NULL, time INTEGER NOT NULL, state INTEGER NOT NULL,
  job TEXT, body BLOB, PRIMARY KEY (task_id, report_id));
CREATE INDEX IF NOT EXISTS dap_reports_state ON dap_reports (task_id, state);
CREATE TABLE IF NOT EXISTS dap_batches (
  task_id TEXT PRIMARY KEY, share BLOB, report_count INTEGER NOT NULL, checksum BLOB NOT NULL,
  min_time INTEGER, max_time INTEGER,
  released_share BLOB, released_count INTEGER, released_checksum BLOB, released_answer BLOB);
CREATE TABLE IF NOT EXISTS dap_rejections (
  task_id TEXT NOT NULL, reason TEXT NOT NULL, count INTEGER NOT NULL, PRIMARY KEY (task_id, reason));
CREATE TABLE IF NOT EXISTS dap_agg_jobs (
  id TEXT PRIMARY KEY, task_id TEXT NOT NULL, state INTEGER NOT NULL, request_hash BLOB,
  response BLOB);
CREATE TABLE IF NOT EXISTS dap_collection_jobs (
  task_id TEXT NOT NULL, id TEXT NOT NULL, request BLOB NOT NULL, state TEXT NOT NULL,
  result BLOB, error TEXT, PRIMARY KEY (task_id, id));
CREATE TABLE IF NOT EXISTS dap_results (
  task_id TEXT PRIMARY KEY, kind TEXT NOT NULL, released_at INTEGER NOT NULL,
  report_count INTEGER NOT NULL, body TEXT NOT NULL);
`;

/** Report states on the leader (the helper stores only `aggregated`). */
export const REPORT_STATE = { pending: 0, inJob: 1, aggregated: 2, rejected: 3 } as const;

/** A stored task: its published document (JSON), verify key and the collector's HPKE config. */
export interface StoredTask {
  readonly id: string;
  readonly body: string;
  readonly verifyKey: Uint8Array;
  readonly collectorConfig: Uint8Array;
  readonly closed: boolean;
}

/** The accumulated aggregate share of a task's one batch, and what was released of it. */
export interface StoredBatch {
  readonly share: Uint8Array | null;
  readonly reportCount: number;
  readonly checksum: Uint8Array;
  readonly minTime: number | null;
  readonly maxTime: number | null;
  /** The noised share, stored when it is first released (never redrawn). */
  readonly releasedShare: Uint8Array | null;
  readonly releasedCount: number | null;
  readonly releasedChecksum: Uint8Array | null;
  /** The sealed answer the helper gave (returned again for the same request). */
  readonly releasedAnswer: Uint8Array | null;
}

/** A collection job on the leader. */
export interface StoredCollectionJob {
  readonly taskId: string;
  readonly id: string;
  readonly request: Uint8Array;
  readonly state: 'pending' | 'done' | 'failed';
  readonly result: Uint8Array | null;
  readonly error: string | null;
}

/** A published collection result. */
export interface StoredResult {
  readonly taskId: string;
  readonly kind: string;
  readonly releasedAt: number;
  readonly reportCount: number;
  readonly body: string;
}

const bytes = (b: Buffer | null): Uint8Array | null => (b === null ? null : new Uint8Array(b));
const blob = (b: Uint8Array | null): Buffer | null =>
  b === null ? null : Buffer.from(b.buffer, b.byteOffset, b.byteLength);

/** Opens the DAP tables on `target`: a path (':memory:' in tests) or the thin server's database. */
export function openDapStorage(target: string | Db) {
  const db: Db = typeof target === 'string' ? new Database(target, { timeout: 2000 }) : target;
  if (typeof target === 'string') {
    // Reports are ~170 kB blobs at 10,000 entries: large pages cut per-blob overhead.
    db.pragma('page_size = 65536');
    db.pragma('journal_mode = WAL');
    // Every commit is fsynced: what was acknowledged survives power loss, not just SIGKILL.
    db.pragma('synchronous = FULL');
  }
  db.exec(SCHEMA);

  const s = {
    key: db.prepare<[string], { config_id: number; public_key: Buffer; private_key: Buffer }>(
      'SELECT config_id, public_key, private_key FROM dap_keys WHERE role = ?',
    ),
    insertKey: db.prepare(
      'INSERT OR IGNORE INTO dap_keys (role, config_id, public_key, private_key) VALUES (?, ?, ?, ?)',
    ),
    tasks: db.prepare<
      [],
      { id: string; body: string; verify_key: Buffer; collector_config: Buffer; closed: number }
    >(
      'SELECT id, body, verify_key, collector_config, closed FROM dap_tasks ORDER BY created_at, id',
    ),
    insertTask: db.prepare(
      'INSERT INTO dap_tasks (id, body, verify_key, collector_config, created_at) VALUES (?, ?, ?, ?, ?)',
    ),
    closeTask: db.prepare('UPDATE dap_tasks SET closed = 1 WHERE id = ?'),
    hasReport: db.prepare<[string, Buffer], { one: number }>(
      'SELECT 1 AS one FROM dap_reports WHERE task_id = ? AND report_id = ?',
    ),
    insertReport: db.prepare(
      'INSERT OR IGNORE INTO dap_reports (task_id, report_id, time, state, job, body) VALUES (?, ?, ?, ?, ?, ?)',
    ),
    pendingReports: db.prepare<[string, number], { report_id: Buffer; time: number }>(
      'SELECT report_id, time FROM dap_reports WHERE task_id = ? AND state = 0 ORDER BY rowid LIMIT ?',
    ),
    tasksWithPending: db.prepare<[], { task_id: string; n: number }>(
      'SELECT task_id, COUNT(*) AS n FROM dap_reports WHERE state = 0 GROUP BY task_id',
    ),
    assign: db.prepare(
      'UPDATE dap_reports SET state = 1, job = ? WHERE task_id = ? AND report_id = ? AND state = 0',
    ),
    jobReports: db.prepare<[string], { report_id: Buffer; time: number; body: Buffer | null }>(
      'SELECT report_id, time, body FROM dap_reports WHERE job = ? AND state = 1 ORDER BY rowid',
    ),
    settle: db.prepare(
      "UPDATE dap_reports SET state = ?, body = X'' WHERE task_id = ? AND report_id = ? AND state = 1",
    ),
    stateCounts: db.prepare<[string], { state: number; n: number }>(
      'SELECT state, COUNT(*) AS n FROM dap_reports WHERE task_id = ? GROUP BY state',
    ),
    unsettled: db.prepare<[string], { n: number }>(
      'SELECT COUNT(*) AS n FROM dap_reports WHERE task_id = ? AND state IN (0, 1)',
    ),
    batch: db.prepare<
      [string],
      {
        share: Buffer | null;
        report_count: number;
        checksum: Buffer;
        min_time: number | null;
        max_time: number | null;
        released_share: Buffer | null;
        released_count: number | null;
        released_checksum: Buffer | null;
        released_answer: Buffer | null;
      }
    >('SELECT * FROM dap_batches WHERE task_id = ?'),
    upsertBatch: db.prepare(
      `INSERT INTO dap_batches (task_id, share, report_count, checksum, min_time, max_time)
       VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(task_id) DO UPDATE SET share = excluded.share,
       report_count = excluded.report_count, checksum = excluded.checksum,
       min_time = excluded.min_time, max_time = excluded.max_time`,
    ),
    release: db.prepare(
      `UPDATE dap_batches SET released_share = ?, released_count = ?, released_checksum = ?,
       released_answer = ? WHERE task_id = ? AND released_share IS NULL`,
    ),
    reject: db.prepare(
      'INSERT INTO dap_rejections (task_id, reason, count) VALUES (?, ?, ?) ON CONFLICT(task_id, reason) DO UPDATE SET count = count + excluded.count',
    ),
    rejections: db.prepare<[string], { reason: string; count: number }>(
      'SELECT reason, count FROM dap_rejections WHERE task_id = ? ORDER BY reason',
    ),
    job: db.prepare<
      [string],
      { task_id: string; state: number; request_hash: Buffer | null; response: Buffer | null }
    >('SELECT task_id, state, request_hash, response FROM dap_agg_jobs WHERE id = ?'),
    insertJob: db.prepare(
      'INSERT INTO dap_agg_jobs (id, task_id, state, request_hash, response) VALUES (?, ?, ?, ?, ?)',
    ),
    finishJob: db.prepare('UPDATE dap_agg_jobs SET state = 1 WHERE id = ?'),
    startedJobs: db.prepare<[], { id: string; task_id: string }>(
      'SELECT id, task_id FROM dap_agg_jobs WHERE state = 0 ORDER BY rowid',
    ),
    collectionJob: db.prepare<
      [string, string],
      { request: Buffer; state: string; result: Buffer | null; error: string | null }
    >('SELECT request, state, result, error FROM dap_collection_jobs WHERE task_id = ? AND id = ?'),
    collectionJobs: db.prepare<[string], { id: string }>(
      'SELECT id FROM dap_collection_jobs WHERE task_id = ?',
    ),
    pendingCollections: db.prepare<[], { task_id: string; id: string }>(
      "SELECT task_id, id FROM dap_collection_jobs WHERE state = 'pending'",
    ),
    insertCollectionJob: db.prepare(
      "INSERT INTO dap_collection_jobs (task_id, id, request, state) VALUES (?, ?, ?, 'pending')",
    ),
    endCollectionJob: db.prepare(
      'UPDATE dap_collection_jobs SET state = ?, result = ?, error = ? WHERE task_id = ? AND id = ?',
    ),
    result: db.prepare<
      [string],
      { task_id: string; kind: string; released_at: number; report_count: number; body: string }
    >('SELECT * FROM dap_results WHERE task_id = ?'),
    latestResult: db.prepare<
      [string],
      { task_id: string; kind: string; released_at: number; report_count: number; body: string }
    >('SELECT * FROM dap_results WHERE kind = ? ORDER BY released_at DESC, task_id LIMIT 1'),
    resultsOfKind: db.prepare<
      [string],
      { task_id: string; kind: string; released_at: number; report_count: number; body: string }
    >('SELECT * FROM dap_results WHERE kind = ? ORDER BY released_at DESC, task_id'),
    insertResult: db.prepare(
      'INSERT INTO dap_results (task_id, kind, released_at, report_count, body) VALUES (?, ?, ?, ?, ?)',
    ),
  };

  const toResult = (r: {
    task_id: string;
    kind: string;
    released_at: number;
    report_count: number;
    body: string;
  }): StoredResult => ({
    taskId: r.task_id,
    kind: r.kind,
    releasedAt: r.released_at,
    reportCount: r.report_count,
    body: r.body,
  });

  return {
    db,
    /** Runs `fn` in one IMMEDIATE transaction (all or nothing, even under SIGKILL). */
    transaction<T>(fn: () => T): T {
      return db.transaction(fn).immediate();
    },
    /** The stored keypair of `role` ('leader', 'helper', 'collector'), or null. */
    key(role: string) {
      const r = s.key.get(role);
      return r === undefined
        ? null
        : {
            configId: r.config_id,
            publicKey: new Uint8Array(r.public_key),
            privateKey: new Uint8Array(r.private_key),
          };
    },
    /** Stores a keypair unless one exists for `role` (the first one stays). */
    insertKey(role: string, configId: number, publicKey: Uint8Array, privateKey: Uint8Array) {
      s.insertKey.run(role, configId, blob(publicKey), blob(privateKey));
    },
    tasks(): StoredTask[] {
      return s.tasks.all().map((r) => ({
        id: r.id,
        body: r.body,
        verifyKey: new Uint8Array(r.verify_key),
        collectorConfig: new Uint8Array(r.collector_config),
        closed: r.closed === 1,
      }));
    },
    insertTask(t: Omit<StoredTask, 'closed'>, now: number): void {
      s.insertTask.run(t.id, t.body, blob(t.verifyKey), blob(t.collectorConfig), now);
    },
    /** Closes a task's batch to new reports (a collection started). */
    closeTask(id: string): void {
      s.closeTask.run(id);
    },
    hasReport(taskId: string, reportId: Uint8Array): boolean {
      return s.hasReport.get(taskId, blob(reportId) as Buffer) !== undefined;
    },
    /** Stores a report id (with the report on the leader); false when the id is already stored. */
    insertReport(
      taskId: string,
      reportId: Uint8Array,
      time: number,
      state: number,
      body: Uint8Array | null,
      job: string | null = null,
    ): boolean {
      return s.insertReport.run(taskId, blob(reportId), time, state, job, blob(body)).changes === 1;
    },
    /** Up to `limit` pending report ids of a task, oldest first. */
    pendingReports(taskId: string, limit: number) {
      return s.pendingReports.all(taskId, limit).map((r) => ({
        reportId: new Uint8Array(r.report_id),
        time: r.time,
      }));
    },
    /** Pending report counts per task. */
    tasksWithPending(): Map<string, number> {
      return new Map(s.tasksWithPending.all().map((r) => [r.task_id, r.n]));
    },
    /** Puts pending reports into job `job` (leader). */
    assignReports(job: string, taskId: string, reportIds: readonly Uint8Array[]): void {
      for (const id of reportIds) s.assign.run(job, taskId, blob(id));
    },
    /** The reports of a started job, in the order they were assigned. */
    jobReports(job: string) {
      return s.jobReports.all(job).map((r) => ({
        reportId: new Uint8Array(r.report_id),
        time: r.time,
        body: bytes(r.body) ?? new Uint8Array(0),
      }));
    },
    /** Marks a job's report aggregated or rejected and drops its body. */
    settleReport(taskId: string, reportId: Uint8Array, state: number): boolean {
      return s.settle.run(state, taskId, blob(reportId)).changes === 1;
    },
    /** Report counts by state for a task. */
    stateCounts(taskId: string): Map<number, number> {
      return new Map(s.stateCounts.all(taskId).map((r) => [r.state, r.n]));
    },
    /** Reports of a task not yet aggregated or rejected (pending or in a job). */
    unsettled(taskId: string): number {
      return s.unsettled.get(taskId)?.n ?? 0;
    },
    batch(taskId: string): StoredBatch {
      const r = s.batch.get(taskId);
      if (r === undefined)
        return {
          share: null,
          reportCount: 0,
          checksum: new Uint8Array(32),
          minTime: null,
          maxTime: null,
          releasedShare: null,
          releasedCount: null,
          releasedChecksum: null,
          releasedAnswer: null,
        };
      return {
        share: bytes(r.share),
        reportCount: r.report_count,
        checksum: new Uint8Array(r.checksum),
        minTime: r.min_time,
        maxTime: r.max_time,
        releasedShare: bytes(r.released_share),
        releasedCount: r.released_count,
        releasedChecksum: bytes(r.released_checksum),
        releasedAnswer: bytes(r.released_answer),
      };
    },
    /** Replaces the accumulated part of a batch (call inside a transaction). */
    putBatch(
      taskId: string,
      b: Pick<StoredBatch, 'share' | 'reportCount' | 'checksum' | 'minTime' | 'maxTime'>,
    ): void {
      s.upsertBatch.run(
        taskId,
        blob(b.share),
        b.reportCount,
        blob(b.checksum),
        b.minTime,
        b.maxTime,
      );
    },
    /** Stores the released (noised) share once; false when one was already stored. */
    releaseBatch(
      taskId: string,
      share: Uint8Array,
      count: number,
      checksum: Uint8Array,
      answer: Uint8Array | null,
    ): boolean {
      return s.release.run(blob(share), count, blob(checksum), blob(answer), taskId).changes === 1;
    },
    /** Adds `count` rejections of `reason` for a task ('' for an unknown task). */
    countRejection(taskId: string, reason: string, count = 1): void {
      s.reject.run(taskId, reason, count);
    },
    rejections(taskId: string): Record<string, number> {
      return Object.fromEntries(s.rejections.all(taskId).map((r) => [r.reason, r.count]));
    },
    aggregationJob(id: string) {
      const r = s.job.get(id);
      return r === undefined
        ? null
        : {
            taskId: r.task_id,
            done: r.state === 1,
            requestHash: bytes(r.request_hash),
            response: bytes(r.response),
          };
    },
    /** Records an aggregation job: started (leader) or answered (helper, with its response). */
    insertAggregationJob(
      id: string,
      taskId: string,
      done: boolean,
      requestHash: Uint8Array | null,
      response: Uint8Array | null,
    ): void {
      s.insertJob.run(id, taskId, done ? 1 : 0, blob(requestHash), blob(response));
    },
    finishAggregationJob(id: string): void {
      s.finishJob.run(id);
    },
    /** Leader jobs started and not finished (to resume after a restart). */
    startedAggregationJobs() {
      return s.startedJobs.all().map((r) => ({ id: r.id, taskId: r.task_id }));
    },
    collectionJob(taskId: string, id: string): StoredCollectionJob | null {
      const r = s.collectionJob.get(taskId, id);
      if (r === undefined) return null;
      return {
        taskId,
        id,
        request: new Uint8Array(r.request),
        state: r.state === 'done' ? 'done' : r.state === 'failed' ? 'failed' : 'pending',
        result: bytes(r.result),
        error: r.error,
      };
    },
    collectionJobIds(taskId: string): string[] {
      return s.collectionJobs.all(taskId).map((r) => r.id);
    },
    pendingCollectionJobs() {
      return s.pendingCollections.all().map((r) => ({ taskId: r.task_id, id: r.id }));
    },
    insertCollectionJob(taskId: string, id: string, request: Uint8Array): void {
      s.insertCollectionJob.run(taskId, id, blob(request));
    },
    endCollectionJob(
      taskId: string,
      id: string,
      outcome: { result: Uint8Array } | { error: string },
    ): void {
      if ('result' in outcome)
        s.endCollectionJob.run('done', blob(outcome.result), null, taskId, id);
      else s.endCollectionJob.run('failed', null, outcome.error, taskId, id);
    },
    result(taskId: string): StoredResult | null {
      const r = s.result.get(taskId);
      return r === undefined ? null : toResult(r);
    },
    /** The newest published result of a kind ('item-histogram', 'ranker-update'). */
    latestResult(kind: string): StoredResult | null {
      const r = s.latestResult.get(kind);
      return r === undefined ? null : toResult(r);
    },
    /** Every published result of a kind, newest first (evaluations: a handful per candidate). */
    resultsOfKind(kind: string): StoredResult[] {
      return s.resultsOfKind.all(kind).map(toResult);
    },
    insertResult(r: StoredResult): void {
      s.insertResult.run(r.taskId, r.kind, r.releasedAt, r.reportCount, r.body);
    },
    close(): void {
      if (typeof target === 'string') db.close();
    },
  };
}

/** The DAP storage API. */
export type DapStorage = ReturnType<typeof openDapStorage>;
