// The change consumer: a send job only for committed, pending email or SMS notification Communications.
import type { Communication, Resource } from '@medplum/fhirtypes';
import { describe, expect, test } from 'vitest';
import type { CommittedChange } from '../subscriptions/committedChange.ts';
import { buildAlertNotification } from './buildNotification.ts';
import { notificationJobs } from './notificationJobs.ts';

const pending = buildAlertNotification({
  alert: { resourceType: 'DetectedIssue', id: 'a1', status: 'final', patient: { reference: 'Patient/p1' } },
  recipient: { reference: 'Practitioner/dr' },
  medium: 'sms',
  text: 'An alert needs your review.',
});

function change(resource: Resource, interaction: CommittedChange['interaction'] = 'create'): CommittedChange {
  return {
    resourceType: resource.resourceType,
    id: 'c1',
    versionId: 'v1',
    interaction,
    resource: { ...resource, id: 'c1' },
  };
}

describe('notificationJobs', () => {
  const consumer = notificationJobs(5);

  test('a created or updated pending notification gets one keyed send job', () => {
    const job = {
      task: 'send-notification',
      payload: { communication: 'Communication/c1' },
      key: 'send-notification:c1',
      maxAttempts: 5,
    };
    expect(consumer(change(pending))).toEqual([job]);
    expect(consumer(change(pending, 'update'))).toEqual([job]);
    expect(
      consumer(
        change({
          ...pending,
          medium: [{ coding: [{ system: pending.medium?.[0].coding?.[0].system, code: 'EMAILWRIT' }] }],
        })
      )
    ).toEqual([job]);
  });

  test.each<[string, Resource, CommittedChange['interaction']?]>([
    ['a delete', pending, 'delete'],
    ['a completed one', { ...pending, status: 'completed' }],
    ['an in-progress one (its retry job exists already)', { ...pending, status: 'in-progress' }],
    ['a not-done one', { ...pending, status: 'not-done' }],
    [
      'another category',
      { ...pending, category: [{ coding: [{ system: 'http://example.org', code: 'alert' }] }] } as Communication,
    ],
    ['no category', { ...pending, category: undefined }],
    [
      'a medium other than email or SMS',
      {
        ...pending,
        medium: [
          { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationMode', code: 'FAXWRIT' }] },
        ],
      },
    ],
    ['no medium', { ...pending, medium: undefined }],
    ['another resource type', { resourceType: 'Task', status: 'requested', intent: 'order' }],
  ])('nothing for %s', (_name, resource, interaction) => {
    expect(consumer(change(resource, interaction))).toEqual([]);
  });

  test('only the server, administrators and system clients can make the server send one', () => {
    const written = (writtenBy: CommittedChange['writtenBy']) => consumer({ ...change(pending), writtenBy });
    const base = { clientId: 'c', expiresAt: 0 };
    expect(written(undefined)).toHaveLength(1);
    expect(written({ ...base, scopes: ['system/*.*'] })).toHaveLength(1);
    expect(written({ ...base, scopes: ['user/*.*'], subject: 'a', role: 'admin' })).toHaveLength(1);
    expect(written({ ...base, scopes: ['user/*.*'], subject: 'c', role: 'clinician' })).toEqual([]);
    expect(written({ ...base, scopes: ['patient/*.*'], subject: 'p', role: 'patient' })).toEqual([]);
  });
});
