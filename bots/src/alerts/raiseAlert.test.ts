// Writing alerts through the FHIR API (against the in-memory fake): create once, merge, unchanged on repeat, races, retries.
import { describe, expect, test } from 'vitest';
import { OperationOutcomeError, preconditionFailed, serverError } from '@medplum/core';
import type { DetectedIssue } from '@medplum/fhirtypes';
import { FakeMedplum } from '../testing/fakeMedplum.ts';
import { PATIENT_REFERENCE, spo2 } from '../testing/observations.ts';
import { buildAlert } from './buildAlert.ts';
import type { AlertSeverity } from './buildAlert.ts';
import { raiseAlert } from './raiseAlert.ts';
import type { AlertClient } from './raiseAlert.ts';

function breach(id: string, severity: AlertSeverity = 'moderate'): DetectedIssue {
  return buildAlert({
    patient: { reference: PATIENT_REFERENCE },
    rule: 'vital-sign-threshold',
    qualifier: '2708-6',
    severity,
    observations: [spo2(90, '2025-03-01T09:00:00Z', { id })],
    explanation: `reading ${id}`,
    identified: new Date('2025-03-01T09:00:30Z'),
  });
}

describe('raiseAlert', () => {
  test('creates the open alert once; a repeat of the same breach writes nothing', async () => {
    const fake = new FakeMedplum();
    expect((await raiseAlert(fake.client, breach('a'))).outcome).toBe('created');
    expect((await raiseAlert(fake.client, breach('a'))).outcome).toBe('unchanged');
    const alerts = fake.all<DetectedIssue>('DetectedIssue');
    expect(alerts).toHaveLength(1);
    expect(alerts[0].meta?.versionId).toBe('1');
  });

  test('a new breach is merged into the open alert, with If-Match on its version', async () => {
    const fake = new FakeMedplum();
    await raiseAlert(fake.client, breach('a'));
    const result = await raiseAlert(fake.client, breach('b', 'high'));
    expect(result.outcome).toBe('updated');
    const [alert] = fake.all<DetectedIssue>('DetectedIssue');
    expect(alert).toMatchObject({ severity: 'high', meta: { versionId: '2' } });
    expect(alert.implicated?.map((r) => r.reference)).toEqual(['Observation/a', 'Observation/b']);
  });

  test('an acknowledged (closed) alert is left alone: a new breach opens a new alert', async () => {
    const fake = new FakeMedplum();
    const first = await raiseAlert(fake.client, breach('a'));
    await fake.updateResource({
      ...first.alert,
      status: 'final',
      mitigation: [{ action: { text: 'Acknowledged' }, date: '2025-03-01T10:00:00Z' }],
    });
    expect((await raiseAlert(fake.client, breach('b'))).outcome).toBe('created');
    const statuses = fake.all<DetectedIssue>('DetectedIssue').map((a) => a.status);
    expect(statuses.sort()).toEqual(['final', 'preliminary']);
  });

  test('a concurrent writer created the open alert after our search: the conditional create finds it and we merge', async () => {
    const fake = new FakeMedplum();
    await raiseAlert(fake.client, breach('a'));
    const blindSearch: AlertClient = {
      searchResources: (async () => []) as unknown as AlertClient['searchResources'],
      createResourceIfNoneExist: fake.client.createResourceIfNoneExist.bind(fake.client),
      updateResource: fake.client.updateResource.bind(fake.client),
    };
    expect((await raiseAlert(blindSearch, breach('b'))).outcome).toBe('updated');
    expect(fake.all<DetectedIssue>('DetectedIssue')).toHaveLength(1);
    expect(fake.all<DetectedIssue>('DetectedIssue')[0].implicated).toHaveLength(2);
  });

  test('a version conflict on update is retried from a fresh search', async () => {
    const fake = new FakeMedplum();
    await raiseAlert(fake.client, breach('a'));
    let failures = 1;
    const flaky: AlertClient = {
      searchResources: fake.client.searchResources.bind(fake.client),
      createResourceIfNoneExist: fake.client.createResourceIfNoneExist.bind(fake.client),
      updateResource: (async (resource: DetectedIssue, options: unknown) => {
        if (failures-- > 0) {
          throw new OperationOutcomeError(preconditionFailed);
        }
        return fake.updateResource(resource, options as never);
      }) as AlertClient['updateResource'],
    };
    expect((await raiseAlert(flaky, breach('b'))).outcome).toBe('updated');
    expect(fake.all<DetectedIssue>('DetectedIssue')[0].meta?.versionId).toBe('2');
  });

  test('other errors are not retried', async () => {
    const fake = new FakeMedplum();
    await raiseAlert(fake.client, breach('a'));
    const broken: AlertClient = {
      searchResources: fake.client.searchResources.bind(fake.client),
      createResourceIfNoneExist: fake.client.createResourceIfNoneExist.bind(fake.client),
      updateResource: (async () => {
        throw new OperationOutcomeError(serverError(new Error('down')));
      }) as AlertClient['updateResource'],
    };
    await expect(raiseAlert(broken, breach('b'))).rejects.toThrow();
  });

  test('an alert without identifier is refused', async () => {
    await expect(raiseAlert(new FakeMedplum().client, { ...breach('a'), identifier: [] })).rejects.toThrow(
      /identifier/
    );
  });
});
