// Schedule wording: frequencies, times, days, grace periods and the CarePlan examples in plain words.
import type { CarePlan, Timing } from '@medplum/fhirtypes';
import { describe, expect, test } from 'vitest';
import { readExample } from '../../../../bots/src/testing/examples.ts';
import { describeActivity, describeSchedule, durationWords, frequencyWords, joinWords } from './scheduleWording.ts';

const timing = (repeat: NonNullable<Timing['repeat']>): Timing => ({ repeat });

describe('frequencyWords', () => {
  test.each([
    [{ frequency: 1, period: 1, periodUnit: 'd' }, 'once a day'],
    [{ frequency: 2, period: 1, periodUnit: 'd' }, 'twice a day'],
    [{ frequency: 3, period: 1, periodUnit: 'd' }, '3 times a day'],
    [{ frequency: 1, period: 2, periodUnit: 'd' }, 'once every 2 days'],
    [{ frequency: 1, period: 4, periodUnit: 'h' }, 'every 4 hours'],
    [{ frequency: 1, period: 1, periodUnit: 'h' }, 'once an hour'],
    [{ frequency: 1, period: 1, periodUnit: 'wk', dayOfWeek: ['mon', 'thu'] }, 'once a week on Monday and Thursday'],
    [{ timeOfDay: ['08:00:00', '20:00:00'] }, 'twice a day'],
  ] as const)('%j is "%s"', (repeat, words) => {
    expect(frequencyWords(timing(repeat as NonNullable<Timing['repeat']>))).toBe(words);
  });
});

describe('describeActivity', () => {
  test('the issue’s example sentence', () => {
    expect(
      describeActivity({
        status: 'in-progress',
        code: { coding: [{ system: 'http://loinc.org', code: '85354-9' }] },
        scheduledTiming: timing({ frequency: 2, period: 1, periodUnit: 'd', timeOfDay: ['20:00:00', '08:00:00'] }),
        extension: [
          {
            url: 'http://rpm-platform.org/fhir/StructureDefinition/rpm-reading-grace-period',
            valueDuration: { value: 2, unit: 'h', system: 'http://unitsofmeasure.org', code: 'h' },
          },
        ],
      }).text
    ).toBe('Blood pressure: twice a day, 08:00 and 20:00, allowed 2 h late');
  });

  test('no grace period: the default is named; no timing: said so', () => {
    expect(
      describeActivity({
        status: 'in-progress',
        code: { text: 'Symptom check-in' },
        scheduledTiming: timing({ frequency: 1, period: 1, periodUnit: 'd' }),
      }).text
    ).toBe('Symptom check-in: once a day, allowed 2 h late (default)');
    expect(describeActivity({ status: 'in-progress', code: { text: 'Weight' } }).text).toBe('Weight: no fixed times');
  });
});

describe('describeSchedule', () => {
  test('the heart-failure CarePlan example, with its time zone', () => {
    const { lines, timeZone } = describeSchedule(readExample<CarePlan>('rpm-monitoring-careplan-heart-failure'));
    expect(timeZone).toBe('Europe/London');
    expect(lines[0].text).toBe('Weight: once a day, 09:00, allowed 3 h late');
    expect(lines.length).toBeGreaterThan(1);
  });

  test('words helpers', () => {
    expect(joinWords(['a', 'b', 'c'])).toBe('a, b and c');
    expect(durationWords({ value: 30, code: 'min' })).toBe('30 min');
    expect(durationWords(undefined)).toBeUndefined();
  });
});
