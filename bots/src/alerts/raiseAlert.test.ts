// Writing alerts through the FHIR API (against the in-memory fake): create once, merge, unchanged on repeat, races, retries.
import { describe, expect, test } from 'vitest';
import { OperationOutcomeError, preconditionFailed, serverError } from '@medplum/core';
import type { DetectedIssue } from '@medplum/fhirtypes';
import { FakeMedplum } from '../testing/fakeMedplum.ts';
import { PATIENT_REFERENCE, spo2 } from '../testing/observations.ts';
import { buildAlert } from './buildAlert.ts';
import type { AlertSeverity } from './buildAlert.ts';
import { openNewAlerts, raiseAlert, raiseAlertKnowingOpen } from './raiseAlert.ts';
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

  test('several open alerts (written before one per rule was enforced): the oldest takes the breach, the others are left', async () => {
    const fake = new FakeMedplum();
    const older = await fake.createResource({ ...breach('a'), identifiedDateTime: '2025-03-01T08:00:00Z' });
    const newer = await fake.createResource({ ...breach('b'), identifiedDateTime: '2025-03-01T08:30:00Z' });
    const result = await raiseAlert(fake.client, breach('c', 'high'));
    expect(result).toMatchObject({ outcome: 'updated', alert: { id: older.id, severity: 'high' } });
    const stored = fake.all<DetectedIssue>('DetectedIssue');
    expect(stored).toHaveLength(2);
    expect(stored.find((a) => a.id === newer.id)?.meta?.versionId).toBe('1');
    expect(stored.find((a) => a.id === older.id)?.implicated?.map((r) => r.reference)).toEqual([
      'Observation/a',
      'Observation/c',
    ]);
  });

  test('an alert without identifier is refused', async () => {
    await expect(raiseAlert(new FakeMedplum().client, { ...breach('a'), identifier: [] })).rejects.toThrow(
      /identifier/
    );
  });
});

describe('raiseAlertKnowingOpen (the caller already searched the open alerts)', () => {
  test('the open alert unchanged: no request at all', async () => {
    const fake = new FakeMedplum();
    const { alert } = await raiseAlert(fake.client, breach('a'));
    const before = fake.log.length;
    expect((await raiseAlertKnowingOpen(fake.client, breach('a'), alert)).outcome).toBe('unchanged');
    expect(fake.log.slice(before)).toEqual([]);
  });

  test('a new breach: one update of the open alert, with If-Match on the version that was read', async () => {
    const fake = new FakeMedplum();
    const { alert } = await raiseAlert(fake.client, breach('a'));
    const before = fake.log.length;
    const result = await raiseAlertKnowingOpen(fake.client, breach('b', 'high'), alert);
    expect(result.outcome).toBe('updated');
    expect(fake.log.slice(before)).toEqual([`update DetectedIssue/${alert.id} v2`]);
  });

  test('the open alert changed since it was read: starts again from the current version, merging both', async () => {
    const fake = new FakeMedplum();
    const { alert: stale } = await raiseAlert(fake.client, breach('a'));
    await raiseAlert(fake.client, breach('b'));
    const result = await raiseAlertKnowingOpen(fake.client, breach('c', 'high'), stale);
    expect(result.outcome).toBe('updated');
    const [alert] = fake.all<DetectedIssue>('DetectedIssue');
    expect(alert.implicated?.map((r) => r.reference)).toEqual(['Observation/a', 'Observation/b', 'Observation/c']);
  });

  test('none was open, but another run created one meanwhile: the conditional create finds it and merges', async () => {
    const fake = new FakeMedplum();
    await raiseAlert(fake.client, breach('a'));
    const result = await raiseAlertKnowingOpen(fake.client, breach('b'), undefined);
    expect(result.outcome).toBe('updated');
    expect(fake.all<DetectedIssue>('DetectedIssue')).toHaveLength(1);
  });

  test('none open: created with a conditional create, no search first', async () => {
    const fake = new FakeMedplum();
    const result = await raiseAlertKnowingOpen(fake.client, breach('a'), undefined);
    expect(result.outcome).toBe('created');
    expect(fake.log.filter((l) => l.startsWith('search'))).toEqual([]);
  });
});

describe('openNewAlerts (many alerts none of which was open)', () => {
  const forPatient = (patient: string, id: string): DetectedIssue =>
    buildAlert({
      patient: { reference: patient },
      rule: 'vital-sign-threshold',
      qualifier: '2708-6',
      severity: 'moderate',
      observations: [spo2(90, '2025-03-01T09:00:00Z', { id })],
      explanation: `reading ${id}`,
      identified: new Date('2025-03-01T09:00:30Z'),
    });

  test('one transaction of conditional creates for the lot', async () => {
    const fake = new FakeMedplum();
    const alerts = ['Patient/1', 'Patient/2', 'Patient/3'].map((p, i) => forPatient(p, `o${i}`));
    const results = await openNewAlerts(fake.client, alerts);
    expect(results.map((r) => r.outcome)).toEqual(['created', 'created', 'created']);
    expect(fake.log.filter((l) => l.startsWith('transaction'))).toEqual(['transaction 3 entries']);
    expect(fake.all<DetectedIssue>('DetectedIssue')).toHaveLength(3);
  });

  test('an alert another run opened meanwhile is merged into, not duplicated', async () => {
    const fake = new FakeMedplum();
    await raiseAlert(fake.client, forPatient('Patient/2', 'earlier'));
    const results = await openNewAlerts(fake.client, [forPatient('Patient/1', 'a'), forPatient('Patient/2', 'b')]);
    expect(results.map((r) => r.outcome)).toEqual(['created', 'updated']);
    const open = fake.all<DetectedIssue>('DetectedIssue').filter((a) => a.patient?.reference === 'Patient/2');
    expect(open).toHaveLength(1);
    expect(open[0].implicated?.map((r) => r.reference)).toEqual(['Observation/earlier', 'Observation/b']);
  });

  test('a transaction refused as a whole: each alert is raised on its own', async () => {
    const fake = new FakeMedplum();
    fake.executeBatch = async () => {
      throw new OperationOutcomeError(serverError(new Error('one entry was invalid')));
    };
    const results = await openNewAlerts(fake.client, [forPatient('Patient/1', 'a'), forPatient('Patient/2', 'b')]);
    expect(results.map((r) => r.outcome)).toEqual(['created', 'created']);
    expect(fake.all<DetectedIssue>('DetectedIssue')).toHaveLength(2);
  });
});
