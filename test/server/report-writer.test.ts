import { describe, expect, it } from 'vitest';
import { createReportWriter } from '../../src/server/report-writer.ts';
import { openServerStorage } from '../../src/server/storage.ts';

/** A scheduler that holds the commit until the test runs it. */
function held() {
  const queue: (() => void)[] = [];
  return {
    schedule: (f: () => void) => void queue.push(f),
    run: () => {
      for (const f of queue.splice(0)) f();
    },
  };
}

describe('report writer (group commit)', () => {
  it('stores the batches handed over in one turn in one commit and acknowledges each only after it', async () => {
    // Arrange
    const storage = openServerStorage(':memory:');
    const clock = held();
    const writer = createReportWriter(storage, clock.schedule);
    const settled: string[] = [];
    // Act
    const a = writer.write({ epsilon: 2, reports: [[1, 2]], day: 5 }).then(() => settled.push('a'));
    const b = writer
      .write({
        epsilon: 2,
        reports: [
          [3, 4],
          [5, 6],
        ],
        day: 5,
      })
      .then(() => settled.push('b'));
    await Promise.resolve();
    const beforeCommit = { stored: storage.reportCount(), settled: settled.length };
    clock.run();
    await Promise.all([a, b]);
    // Assert
    expect(beforeCommit).toEqual({ stored: 0, settled: 0 });
    expect(storage.reportCount()).toBe(3);
    expect(settled).toEqual(['a', 'b']);
  });

  it('rejects every request of a group whose commit fails, and stores none of it', async () => {
    // Arrange: a closed database makes the commit throw.
    const storage = openServerStorage(':memory:');
    const clock = held();
    const writer = createReportWriter(storage, clock.schedule);
    const a = writer.write({ epsilon: 2, reports: [[1, 2]], day: 5 });
    const b = writer.write({ epsilon: 2, reports: [[3, 4]], day: 5 });
    storage.close();
    // Act
    clock.run();
    // Assert
    await expect(a).rejects.toThrow();
    await expect(b).rejects.toThrow();
  });
});
