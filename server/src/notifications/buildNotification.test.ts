// The alert notification builder: the Communication's fields and its deterministic, de-duplicating identifier.
import type { DetectedIssue } from '@medplum/fhirtypes';
import { describe, expect, test } from 'vitest';
import {
  buildAlertNotification,
  NOTIFICATION_CATEGORY_SYSTEM,
  NOTIFICATION_IDENTIFIER_SYSTEM,
  notificationIdentifierQuery,
  PARTICIPATION_MODE_SYSTEM,
} from './buildNotification.ts';

const alert: DetectedIssue = {
  resourceType: 'DetectedIssue',
  id: 'alert-1',
  meta: { versionId: 'v1' },
  status: 'final',
  patient: { reference: 'Patient/p1' },
};
const recipient = { reference: 'Practitioner/dr-1' };

function identifierOf(input: Parameters<typeof buildAlertNotification>[0]): string | undefined {
  return buildAlertNotification(input).identifier?.find((i) => i.system === NOTIFICATION_IDENTIFIER_SYSTEM)?.value;
}

describe('buildAlertNotification', () => {
  test('an email notification has every field of the convention', () => {
    const communication = buildAlertNotification({
      alert,
      recipient,
      medium: 'email',
      text: 'An alert needs your review.',
      subject: 'RPM alert',
      escalationTask: { reference: 'Task/t1' },
    });
    expect(communication).toMatchObject({
      resourceType: 'Communication',
      status: 'preparation',
      category: [{ coding: [{ system: NOTIFICATION_CATEGORY_SYSTEM, code: 'alert' }] }],
      medium: [{ coding: [{ system: PARTICIPATION_MODE_SYSTEM, code: 'EMAILWRIT' }] }],
      recipient: [recipient],
      subject: { reference: 'Patient/p1' },
      about: [{ reference: 'DetectedIssue/alert-1' }, { reference: 'Task/t1' }],
      payload: [{ contentString: 'An alert needs your review.' }],
      topic: { text: 'RPM alert' },
    });
    expect(communication.identifier).toEqual([{ system: NOTIFICATION_IDENTIFIER_SYSTEM, value: expect.any(String) }]);
    expect(communication.id).toBeUndefined();
  });

  test('an SMS notification uses SMSWRIT and, without a task, is about the alert only', () => {
    const communication = buildAlertNotification({ alert, recipient, medium: 'sms', text: 'Open the app.' });
    expect(communication.medium).toEqual([{ coding: [{ system: PARTICIPATION_MODE_SYSTEM, code: 'SMSWRIT' }] }]);
    expect(communication.about).toEqual([{ reference: 'DetectedIssue/alert-1' }]);
    expect(communication.topic).toBeUndefined();
  });

  test('the identifier depends on alert, recipient, medium and task or alert version, not on the text', () => {
    const base = { alert, recipient, medium: 'email' as const, text: 'a' };
    const id = identifierOf(base);
    expect(id).toMatch(/^[0-9a-f]{40}$/);
    expect(identifierOf({ ...base, text: 'different text', subject: 'x' })).toBe(id);
    const others = [
      identifierOf({ ...base, alert: { ...alert, id: 'alert-2' } }),
      identifierOf({ ...base, recipient: { reference: 'Practitioner/dr-2' } }),
      identifierOf({ ...base, medium: 'sms' }),
      identifierOf({ ...base, alert: { ...alert, meta: { versionId: 'v2' } } }),
      identifierOf({ ...base, escalationTask: { reference: 'Task/t1' } }),
      identifierOf({ ...base, escalationTask: { reference: 'Task/t2' } }),
    ];
    expect(new Set([id, ...others]).size).toBe(7);
    // With a task, the alert's version no longer matters: one notification per escalation step.
    expect(identifierOf({ ...base, escalationTask: { reference: 'Task/t1' }, alert: { ...alert, meta: {} } })).toBe(
      others[4]
    );
  });

  test('the If-None-Exist query names the identifier', () => {
    const communication = buildAlertNotification({ alert, recipient, medium: 'sms', text: 'x' });
    const value = communication.identifier?.[0].value;
    expect(notificationIdentifierQuery(communication)).toBe(
      `identifier=${encodeURIComponent(`${NOTIFICATION_IDENTIFIER_SYSTEM}|${value}`)}`
    );
  });

  test('refuses an alert without id and a recipient without reference', () => {
    expect(() =>
      buildAlertNotification({ alert: { ...alert, id: undefined }, recipient, medium: 'sms', text: 'x' })
    ).toThrow(/alert must have an id/);
    expect(() => buildAlertNotification({ alert, recipient: {}, medium: 'sms', text: 'x' })).toThrow(/recipient/);
  });
});
