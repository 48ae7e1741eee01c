// The machine-speed line: real round trips to the test PostgreSQL and real JSON work, described for the report.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../server/src/testing/testDatabase.ts';
import { describeMachineSpeed, measureMachineSpeed } from './machineSpeed.ts';

describe('measureMachineSpeed', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase('rpm_bench_speed');
  }, 120_000);
  afterAll(async () => {
    await database?.drop();
  });

  it('times JSON work and PostgreSQL round trips, and the report line names both', async () => {
    const speed = await measureMachineSpeed(database.url);
    expect(speed.jsonWorkMs).toBeGreaterThan(0);
    expect(speed.postgresRoundTripP50Us).toBeGreaterThan(0);
    expect(speed.postgresRoundTripP95Us).toBeGreaterThanOrEqual(speed.postgresRoundTripP50Us);
    const line = describeMachineSpeed(speed);
    expect(line).toContain(`${speed.jsonWorkMs.toFixed(0)} ms of fixed JSON work`);
    expect(line).toContain(`p50 ${speed.postgresRoundTripP50Us.toFixed(0)} µs`);
  }, 60_000);
});
