import { describe, expect, test } from '@jest/globals';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type FaultRunConfig, runFaultScenario } from './fault-run.js';
import { renderReport } from './report.js';

/**
 * Issue 5's main scenario: many processes, one key, a share of S3 requests faulted, and an
 * outage. The short version runs in `npm test`; `npm run test:reliability` (RELIABILITY_RUN=long)
 * runs the long one and writes docs/RELIABILITY.md from it.
 */
const long = process.env.RELIABILITY_RUN === 'long';

const config: FaultRunConfig = long
  ? {
      name: 'long',
      processes: 8,
      cyclesPerProcess: 1250,
      expire: 8,
      requestTimeoutMs: 1000,
      faultScale: 1,
      outageMs: 5000,
      outageAfterAcquisitions: 2000,
      clockSkewMs: 600_000,
      timeLimitMs: 1_500_000,
      seed: 20261126,
    }
  : {
      name: 'short',
      processes: 4,
      cyclesPerProcess: 30,
      expire: 5,
      requestTimeoutMs: 500,
      faultScale: 1.2,
      outageMs: 1000,
      outageAfterAcquisitions: 40,
      clockSkewMs: 600_000,
      timeLimitMs: 40_000,
      seed: 5,
    };

describe(`reliability under faults (${config.name} run)`, () => {
  test(
    `${config.processes} processes x ${config.cyclesPerProcess} acquisitions through the fault proxy, with an outage: never two holders, tokens always increase`,
    async () => {
      const result = await runFaultScenario(config);
      const reportPath = long ? join(process.cwd(), 'docs', 'RELIABILITY.md') : process.env.RELIABILITY_REPORT;
      if (reportPath) writeFileSync(reportPath, renderReport(result, long ? 'npm run test:reliability' : 'npm test'));
      expect(result.verdict.overlaps).toEqual([]);
      expect(result.verdict.nonIncreasingTokens).toEqual([]);
      expect(result.unfinished).toBe(0);
      expect(result.verdict.acquisitions).toBe(config.processes * config.cyclesPerProcess);
      expect(result.faulted / result.requests).toBeGreaterThanOrEqual(0.05);
      expect(result.outage?.acquisitionsAfter).toBeGreaterThan(0);
    },
    config.timeLimitMs + 60_000,
  );
});
