// Building an alert: identifier per rule and patient (and vital sign), severity, implicated readings, source and programme.
import { describe, expect, test } from 'vitest';
import { readFileSync } from 'node:fs';
import type { CodeSystem } from '@medplum/fhirtypes';
import { CODE_SYSTEMS, EXTENSIONS, IDENTIFIER_SYSTEMS, LOINC, PROFILES } from '../fhir/codes.ts';
import { PATIENT_REFERENCE, spo2 } from '../testing/observations.ts';
import { ALERT_RULES } from './alertRules.ts';
import { alertIdentifier, buildAlert, openAlertQuery, severityForLevel } from './buildAlert.ts';

const reading = spo2(89, '2025-03-01T09:00:00Z', { id: 'spo2-1' });
const NOW = new Date('2025-03-01T09:00:05Z');
const PROGRAMME = 'http://rpm-platform.org/fhir/PlanDefinition/respiratory-virtual-ward';

describe('buildAlert', () => {
  test('an open (preliminary) DetectedIssue of profile rpm-alert', () => {
    const alert = buildAlert({
      patient: { reference: PATIENT_REFERENCE },
      rule: 'vital-sign-threshold',
      qualifier: '2708-6',
      severity: severityForLevel('red'),
      observations: [reading],
      explanation: 'SpO2 89 % is below the red limit of 93 % (programme: X)',
      programme: PROGRAMME,
      identified: NOW,
      evidenceCode: { coding: [{ system: LOINC, code: '2708-6' }] },
    });
    expect(alert).toEqual({
      resourceType: 'DetectedIssue',
      meta: { profile: [PROFILES.alert] },
      extension: [
        { url: EXTENSIONS.alertClinicalSource, valueString: ALERT_RULES['vital-sign-threshold'].clinicalSource },
        { url: EXTENSIONS.alertProgramme, valueCanonical: PROGRAMME },
      ],
      identifier: [{ system: IDENTIFIER_SYSTEMS.alert, value: 'vital-sign-threshold.2708-6:Patient/patient-1' }],
      status: 'preliminary',
      code: {
        coding: [
          {
            system: CODE_SYSTEMS.alertRule,
            code: 'vital-sign-threshold',
            display: 'Vital sign outside its amber or red limits',
          },
        ],
        text: 'Vital sign outside its amber or red limits',
      },
      severity: 'high',
      patient: { reference: PATIENT_REFERENCE },
      identifiedDateTime: '2025-03-01T09:00:05.000Z',
      implicated: [{ reference: 'Observation/spo2-1' }],
      evidence: [
        {
          code: [
            {
              coding: [{ system: LOINC, code: '2708-6' }],
              text: 'SpO2 89 % is below the red limit of 93 % (programme: X)',
            },
          ],
          detail: [{ reference: 'Observation/spo2-1' }],
        },
      ],
      detail: 'SpO2 89 % is below the red limit of 93 % (programme: X)',
    });
  });

  test('a rule with a web source puts it in DetectedIssue.reference; a missed reading has no implicated', () => {
    const news2 = buildAlert({
      patient: { resourceType: 'Patient', id: 'p2' },
      rule: 'news2',
      severity: 'high',
      observations: [reading],
      explanation: 'NEWS2 7',
      identified: NOW,
    });
    expect(news2.reference).toBe(ALERT_RULES.news2.sourceUrl);
    expect(news2.identifier?.[0].value).toBe('news2:Patient/p2');
    const missed = buildAlert({
      patient: { reference: PATIENT_REFERENCE },
      rule: 'missed-reading',
      qualifier: '29463-7',
      severity: 'low',
      observations: [],
      explanation: 'Weight: the reading due … has not been received',
      identified: NOW,
    });
    expect(missed.implicated).toBeUndefined();
    expect(missed.evidence).toEqual([{ code: [{ text: 'Weight: the reading due … has not been received' }] }]);
  });

  test('severity: red is high, amber is moderate', () => {
    expect(severityForLevel('red')).toBe('high');
    expect(severityForLevel('amber')).toBe('moderate');
  });

  test('the identifier has one value per rule, patient and qualifier; the open-alert search escapes it', () => {
    const id = alertIdentifier('missed-reading', { reference: 'Patient/9' }, '85354-9');
    expect(id.value).toBe('missed-reading.85354-9:Patient/9');
    expect(openAlertQuery(id)).toBe(
      'identifier=http%3A%2F%2Frpm-platform.org%2Ffhir%2Fidentifier%2Falert%7Cmissed-reading.85354-9%3APatient%2F9' +
        '&status=preliminary'
    );
    expect(() => alertIdentifier('news2', { reference: 'Patient/9' }, 'a|b')).toThrow(/qualifier/);
    expect(() => alertIdentifier('news2', { reference: 'Group/9' })).toThrow(/Patient reference/);
  });

  test('every rule is in CodeSystem rpm-alert-rule with the same display, and nothing else is', () => {
    const file = new URL('../../../fhir/valueSets/rpm-alert-rule.json', import.meta.url);
    const codeSystem = JSON.parse(readFileSync(file, 'utf8')) as CodeSystem;
    expect(codeSystem.url).toBe(CODE_SYSTEMS.alertRule);
    expect(Object.fromEntries((codeSystem.concept ?? []).map((c) => [c.code, c.display]))).toEqual(
      Object.fromEntries(Object.values(ALERT_RULES).map((r) => [r.code, r.display]))
    );
  });
});
