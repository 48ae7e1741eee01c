// Acuity order of the worklist: open alert severity first, then the NEWS2 band and score, then how many alerts.
import type { DetectedIssue } from '@medplum/fhirtypes';
import { describe, expect, test } from 'vitest';
import { bandOfScore, compareAcuity, highestSeverity, type Acuity } from './acuity.ts';

function alert(severity?: DetectedIssue['severity']): DetectedIssue {
  return { resourceType: 'DetectedIssue', status: 'preliminary', ...(severity ? { severity } : {}) };
}

describe('highestSeverity', () => {
  test('the highest of the open alerts; none for no alerts; an alert without severity counts as high', () => {
    expect(highestSeverity([])).toBeUndefined();
    expect(highestSeverity([alert('low'), alert('moderate')])).toBe('moderate');
    expect(highestSeverity([alert('moderate'), alert('high'), alert('low')])).toBe('high');
    expect(highestSeverity([alert('low'), alert()])).toBe('high');
  });
});

describe('compareAcuity', () => {
  test('red before amber before low before none, whatever the NEWS2; then band, score and alert count', () => {
    const rows: Record<string, Acuity> = {
      none: { openAlerts: 0, news2: { score: 9, band: 'high' } },
      red: { alertSeverity: 'high', openAlerts: 1, news2: { score: 0, band: 'low' } },
      amber: { alertSeverity: 'moderate', openAlerts: 1 },
      low: { alertSeverity: 'low', openAlerts: 1 },
      redTwoAlerts: { alertSeverity: 'high', openAlerts: 2, news2: { score: 0, band: 'low' } },
      noneMedium: { openAlerts: 0, news2: { score: 5, band: 'medium' } },
      noneSingleParameter: { openAlerts: 0, news2: { score: 3, band: 'low-medium' } },
      noneLow: { openAlerts: 0, news2: { score: 4, band: 'low' } },
      nothing: { openAlerts: 0 },
    };
    const order = Object.keys(rows).sort((a, b) => compareAcuity(rows[a], rows[b]));
    expect(order).toEqual([
      'redTwoAlerts',
      'red',
      'amber',
      'low',
      'none',
      'noneMedium',
      'noneSingleParameter',
      'noneLow',
      'nothing',
    ]);
  });
});

describe('bandOfScore', () => {
  test('RCP NEWS2 aggregate bands: 0–4 low, 5–6 medium, 7 or more high', () => {
    expect([0, 4, 5, 6, 7, 20].map(bandOfScore)).toEqual(['low', 'low', 'medium', 'medium', 'high', 'high']);
  });
});
