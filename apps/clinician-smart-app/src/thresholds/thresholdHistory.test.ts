// The change history of threshold Goals: newest first, who and what in words.
import type { Goal } from '@medplum/fhirtypes';
import { describe, expect, test } from 'vitest';
import { overrideGoal, retiredGoal } from './thresholdGoals.ts';
import { thresholdChanges } from './thresholdHistory.ts';

describe('thresholdChanges', () => {
  test('each version with its time, author and limits, newest first', () => {
    const first: Goal = {
      ...overrideGoal({
        patientId: 'p1',
        kind: 'spo2',
        band: 'amber',
        limits: { low: 90 },
        expressedBy: { reference: 'Practitioner/a', display: 'Asha Patel' },
        reason: 'COPD target 88-92 %',
        today: '2026-03-12',
      }),
      id: 'g1',
      meta: { versionId: '1', lastUpdated: '2026-03-12T10:00:00Z' },
    };
    const second: Goal = {
      ...retiredGoal(first, { reference: 'Practitioner/b' }, '2026-03-13'),
      meta: { versionId: '2', lastUpdated: '2026-03-13T10:00:00Z' },
    };
    const names = new Map([['Practitioner/b', 'Ben Ode']]);
    expect(thresholdChanges([first, second, { resourceType: 'Goal' } as Goal], names)).toEqual([
      {
        key: 'g1/2',
        when: '2026-03-13T10:00:00Z',
        who: 'Ben Ode',
        what: 'Amber oxygen saturation: alerts below 90 % — withdrawn (cancelled)',
        reason: 'COPD target 88-92 %',
      },
      {
        key: 'g1/1',
        when: '2026-03-12T10:00:00Z',
        who: 'Asha Patel',
        what: 'Amber oxygen saturation: alerts below 90 % — in force',
        reason: 'COPD target 88-92 %',
      },
    ]);
  });
});
