import { describe, expect, it } from 'vitest';
import { createDapReportPool } from '../../src/sim/dap-report-pool.ts';
import { dapTask, HELPER, LEADER, SERVER } from '../federated/support/dap-tasks.ts';
import { createFakeDap } from '../federated/support/fake-dap.ts';

describe('simulation: DAP reports made in worker threads', () => {
  it('makes reports in two threads that the aggregators verify and sum like reports made in process', async () => {
    // Arrange
    const items = ['a', 'b', 'c', 'd', 'e'];
    const task = dapTask({ kind: 'item-histogram', items, maxItems: 2 });
    const dap = await createFakeDap({
      server: SERVER,
      leader: LEADER,
      helper: HELPER,
      tasks: [task],
    });
    const hpkeConfigs = { leader: dap.hpkeConfig('leader'), helper: dap.hpkeConfig('helper') };
    const pool = createDapReportPool(2);
    const measurements = [
      [1, 0, 1, 0, 0],
      [0, 0, 1, 1, 0],
      [0, 1, 0, 0, 0],
    ];
    try {
      // Act
      const made = await Promise.all(
        measurements.map((measurement) =>
          pool.make({ task, measurement, hpkeConfigs, timestamp: 1_000_000 }),
        ),
      );
      for (const { bytes } of made)
        await dap.fetch(`${LEADER}tasks/${task.id}/reports`, { method: 'PUT', body: bytes });
      // Assert
      expect(await dap.aggregate(task)).toEqual({ sum: [1, 1, 2, 1, 0], count: 3, rejected: 0 });
    } finally {
      await pool.close();
    }
  }, 60_000);
});
