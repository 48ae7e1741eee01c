// The AuditEvent builder: standard codes, agents, entities, outcome, and R4 validity of every shape it produces.
import type { AuditEvent } from '@medplum/fhirtypes';
import { describe, expect, test } from 'vitest';
import { validateResourceDetailed, validateResourceForWrite } from '../fhir/conformance/validateResource.ts';
import { buildSearchIndexRows } from '../fhir/search/index.ts';
import {
  AUDIT_EVENT_TYPE,
  buildAuditEvent,
  coalescingKey,
  DCM,
  groupAuditEntries,
  OAUTH_CLIENT_SYSTEM,
  RESTFUL_INTERACTION,
  USER_AGENT_EXTENSION,
  type AuditEntry,
} from './auditEvent.ts';

const recorded = new Date('2025-03-01T10:00:00.123Z');

function entry(overrides: Partial<AuditEntry>): AuditEntry {
  return {
    action: 'read',
    outcome: 'success',
    recorded,
    agent: {
      who: 'Practitioner/p1',
      accountId: 'acc-1',
      clientId: 'clinician-app',
      ip: '10.0.0.7',
      userAgent: 'vitest',
    },
    ...overrides,
  };
}

/** Validated as the repository validates a write, with the id and meta the audit log stamps. */
function expectValid(event: AuditEvent): void {
  const stamped = { ...event, id: '0190b0e2-0000-7000-8000-000000000001', meta: { versionId: 'v1' } };
  const { baseIssues } = validateResourceDetailed(stamped);
  expect(baseIssues.filter((i) => i.severity === 'error')).toEqual([]);
  expect(() => validateResourceForWrite(stamped)).not.toThrow();
}

describe('buildAuditEvent', () => {
  test('a read by a user through an app', () => {
    const event = buildAuditEvent(entry({ entity: { reference: 'Observation/o1' }, patient: 'Patient/x' }), {
      site: 'host-a',
    });
    expect(event).toMatchObject({
      resourceType: 'AuditEvent',
      type: { system: AUDIT_EVENT_TYPE, code: 'rest' },
      subtype: [{ system: RESTFUL_INTERACTION, code: 'read' }],
      action: 'R',
      recorded: '2025-03-01T10:00:00.123Z',
      outcome: '0',
      source: { site: 'host-a', observer: { display: 'RPM FHIR server' } },
    });
    expect(event.agent).toEqual([
      {
        type: { coding: [expect.objectContaining({ code: 'humanuser' })] },
        who: { reference: 'Practitioner/p1' },
        altId: 'acc-1',
        requestor: true,
        network: { address: '10.0.0.7', type: '2' },
        extension: [{ url: USER_AGENT_EXTENSION, valueString: 'vitest' }],
      },
      {
        type: { coding: [expect.objectContaining({ system: DCM, code: '110150' })] },
        who: { identifier: { system: OAUTH_CLIENT_SYSTEM, value: 'clinician-app' } },
        requestor: false,
      },
    ]);
    expect(event.entity).toEqual([
      {
        what: { reference: 'Observation/o1' },
        type: { system: 'http://hl7.org/fhir/resource-types', code: 'Observation' },
      },
      { what: { reference: 'Patient/x' }, role: expect.objectContaining({ code: '1', display: 'Patient' }) },
    ]);
    expectValid(event);
  });

  test('an IPv4 address seen on a dual-stack socket is recorded plainly', () => {
    const event = buildAuditEvent(entry({ agent: { clientId: 'c', ip: '::ffff:192.0.2.10' } }));
    expect(event.agent?.[0].network).toEqual({ address: '192.0.2.10', type: '2' });
  });

  test('a system client alone is the requestor, identified by its client id', () => {
    const event = buildAuditEvent(entry({ agent: { clientId: 'gateway-7', ip: '::1' } }));
    expect(event.agent).toEqual([
      expect.objectContaining({
        who: expect.objectContaining({ identifier: { system: OAUTH_CLIENT_SYSTEM, value: 'gateway-7' } }),
        requestor: true,
        network: { address: '::1', type: '2' },
      }),
    ]);
    expectValid(event);
  });

  test('a search stores its query base64-encoded, and the patient it names', () => {
    const query = 'subject=Patient/x&code=http://loinc.org|8867-4&date=ge2025-01-01';
    const event = buildAuditEvent(
      entry({ action: 'search', entity: { type: 'Observation', query }, patient: 'Patient/x' })
    );
    expect(event.action).toBe('E');
    expect(event.subtype).toEqual([expect.objectContaining({ code: 'search-type' })]);
    const [searched, patient] = event.entity ?? [];
    expect(Buffer.from(searched.query as string, 'base64').toString('utf8')).toBe(query);
    expect(searched.role?.code).toBe('24');
    expect(searched.what).toBeUndefined();
    expect(patient.what?.reference).toBe('Patient/x');
    expectValid(event);
  });

  test('a Patient read names the patient once, with the Patient role', () => {
    const event = buildAuditEvent(entry({ entity: { reference: 'Patient/x' }, patient: 'Patient/x' }));
    expect(event.entity).toEqual([
      expect.objectContaining({ what: { reference: 'Patient/x' }, role: expect.objectContaining({ code: '1' }) }),
    ]);
    const rows = buildSearchIndexRows({ ...event, id: 'a1' });
    expect(rows.reference).toEqual(expect.arrayContaining([{ param: 'patient', grp: 0, ref: 'Patient/x' }]));
    expectValid(event);
  });

  test('history levels follow the entity', () => {
    const code = (e: Partial<AuditEntry>) => buildAuditEvent(entry({ action: 'history', ...e })).subtype?.[0].code;
    expect(code({ entity: { reference: 'Observation/o1' } })).toBe('history-instance');
    expect(code({ entity: { type: 'Observation' } })).toBe('history-type');
    expect(code({})).toBe('history-system');
  });

  test('writes and their action codes', () => {
    const actions = (['create', 'update', 'patch', 'delete', 'vread'] as const).map((action) => {
      const event = buildAuditEvent(entry({ action, entity: { reference: 'Observation/o1/_history/v2' } }));
      expectValid(event);
      return [event.subtype?.[0].code, event.action];
    });
    expect(actions).toEqual([
      ['create', 'C'],
      ['update', 'U'],
      ['patch', 'U'],
      ['delete', 'D'],
      ['vread', 'R'],
    ]);
  });

  test('failures: 4xx minor, 5xx serious, with the status in outcomeDesc', () => {
    const refused = buildAuditEvent(entry({ outcome: 'failure', status: 401, agent: { ip: '10.0.0.9' } }));
    expect(refused.outcome).toBe('4');
    expect(refused.outcomeDesc).toBe('HTTP 401');
    expect(refused.agent).toEqual([{ requestor: true, network: { address: '10.0.0.9', type: '2' } }]);
    expectValid(refused);
    const broken = buildAuditEvent(entry({ outcome: 'failure', status: 503, outcomeText: 'database unavailable' }));
    expect(broken.outcome).toBe('8');
    expect(broken.outcomeDesc).toBe('HTTP 503: database unavailable');
    expectValid(broken);
  });

  test('login, logout and token events', () => {
    const login = buildAuditEvent(
      entry({
        action: 'login',
        outcome: 'failure',
        outcomeText: 'wrong password',
        agent: { name: 'nurse@example.org', ip: '10.0.0.3' },
      })
    );
    expect(login.type).toEqual({ system: DCM, code: '110114', display: 'User Authentication' });
    expect(login.subtype).toEqual([{ system: DCM, code: '110122', display: 'Login' }]);
    expect(login.outcome).toBe('4');
    expect(login.agent?.[0]).toMatchObject({ name: 'nurse@example.org', requestor: true });
    expectValid(login);

    const logout = buildAuditEvent(entry({ action: 'logout' }));
    expect(logout.subtype?.[0].code).toBe('110123');
    expectValid(logout);

    const token = buildAuditEvent(
      entry({
        action: 'token',
        agent: { clientId: 'gateway-7' },
        entity: { detail: { scope: 'system/Observation.c', grant_type: 'client_credentials' } },
      })
    );
    expect(token.subtype?.[0]).toMatchObject({ code: 'ITI-71' });
    expect(token.entity?.[0].detail).toEqual([
      { type: 'scope', valueString: 'system/Observation.c' },
      { type: 'grant_type', valueString: 'client_credentials' },
    ]);
    expectValid(token);
  });

  test('operations and exports', () => {
    const validate = buildAuditEvent(
      entry({ action: 'operation', entity: { type: 'Observation', detail: { operation: '$validate' } } })
    );
    expect(validate.subtype?.[0].code).toBe('operation');
    expectValid(validate);
    const exported = buildAuditEvent(entry({ action: 'export', entity: { reference: 'Group/g1' } }));
    expect(exported.type).toMatchObject({ system: DCM, code: '110106' });
    expectValid(exported);
  });

  test('empty and oversized values never make an invalid resource', () => {
    const event = buildAuditEvent(
      entry({
        outcome: 'failure',
        status: 400,
        outcomeText: ' ',
        agent: { who: '', clientId: 'c', ip: '', userAgent: 'x'.repeat(5000) },
        entity: { reference: '', query: '', type: 'Observation', detail: { empty: '' } },
      })
    );
    expect(event.agent?.[0].extension?.[0].valueString).toHaveLength(512);
    expect(event.outcomeDesc).toBe('HTTP 400');
    expectValid(event);
  });

  test('a coalesced group: one entity per entry, the patient once, period and recorded, valid R4', () => {
    const at = (ms: number): Date => new Date(recorded.getTime() + ms);
    const event = buildAuditEvent([
      entry({ entity: { reference: 'Observation/o1' }, patient: 'Patient/x', recorded: at(0) }),
      entry({ entity: { reference: 'Observation/o2' }, patient: 'Patient/x', recorded: at(40) }),
      entry({ entity: { reference: 'Patient/x' }, patient: 'Patient/x', recorded: at(90) }),
    ]);
    expect(event).toMatchObject({
      subtype: [{ code: 'read' }],
      period: { start: '2025-03-01T10:00:00.123Z', end: '2025-03-01T10:00:00.213Z' },
      recorded: '2025-03-01T10:00:00.213Z',
    });
    expect(event.entity?.map((e) => [e.what?.reference, e.role?.code])).toEqual([
      ['Observation/o1', undefined],
      ['Observation/o2', undefined],
      ['Patient/x', '1'],
    ]);
    expectValid(event);
    const rows = buildSearchIndexRows({ ...event, id: 'a1' });
    expect(rows.reference.filter((r) => r.param === 'entity').map((r) => r.ref)).toEqual([
      'Observation/o1',
      'Observation/o2',
      'Patient/x',
    ]);
    expect(rows.reference.filter((r) => r.param === 'patient').map((r) => r.ref)).toContain('Patient/x');
    // A single entry keeps the plain shape, without period.
    expect(buildAuditEvent([entry({ entity: { reference: 'Observation/o1' } })]).period).toBeUndefined();
  });

  test('subjects (a batched bot run): an entity each with its details, then each of their patients once, valid R4', () => {
    const event = buildAuditEvent(
      entry({
        action: 'operation',
        agent: { clientId: 'bot-alerts' },
        entity: { reference: 'Bot/alerts', detail: { operation: 'execute', batch: '3 triggers run together' } },
        subjects: [
          { reference: 'Observation/o1/_history/v1', detail: { attempt: '1 of 10' }, patient: 'Patient/x' },
          { reference: 'Observation/o2/_history/v1', detail: { attempt: '2 of 10' }, patient: 'Patient/y' },
          { reference: 'Observation/o3/_history/v4', detail: { attempt: '1 of 10' }, patient: 'Patient/x' },
        ],
      })
    );
    expect(event.entity?.map((e) => [e.what?.reference, e.role?.code, e.detail?.map((d) => d.valueString)])).toEqual([
      ['Bot/alerts', undefined, ['execute', '3 triggers run together']],
      ['Observation/o1/_history/v1', undefined, ['1 of 10']],
      ['Observation/o2/_history/v1', undefined, ['2 of 10']],
      ['Observation/o3/_history/v4', undefined, ['1 of 10']],
      ['Patient/x', '1', undefined],
      ['Patient/y', '1', undefined],
    ]);
    expectValid(event);
    // Found by each reading (versionless) and by each patient.
    const rows = buildSearchIndexRows({ ...event, id: 'a1' });
    expect(rows.reference.filter((r) => r.param === 'entity').map((r) => r.ref)).toEqual(
      expect.arrayContaining(['Observation/o1', 'Observation/o2', 'Observation/o3', 'Patient/x', 'Patient/y'])
    );
    expect(rows.reference.filter((r) => r.param === 'patient').map((r) => r.ref)).toEqual(
      expect.arrayContaining(['Patient/x', 'Patient/y'])
    );
    // Never more than 100 subjects in one event.
    const many = Array.from({ length: 150 }, (_, i) => ({ reference: `Observation/o${i}` }));
    expect(buildAuditEvent(entry({ action: 'operation', subjects: many })).entity).toHaveLength(100);
  });

  test('coalescingKey: only reads, vreads, searches and history; by subtype, outcome, agent and patient', () => {
    const read = entry({ entity: { reference: 'Observation/o1' }, patient: 'Patient/x' });
    const key = coalescingKey(read);
    expect(key).toBeDefined();
    expect(coalescingKey({ ...read, entity: { reference: 'Observation/o2' }, recorded: new Date() })).toBe(key);
    for (const action of ['create', 'update', 'patch', 'delete', 'login', 'token', 'batch', 'operation'] as const) {
      expect(coalescingKey({ ...read, action })).toBeUndefined();
    }
    const different: AuditEntry[] = [
      { ...read, action: 'vread' },
      { ...read, outcome: 'failure', status: 404 },
      { ...read, outcome: 'failure', status: 403 },
      { ...read, patient: 'Patient/y' },
      { ...read, patient: undefined },
      { ...read, agent: { ...read.agent, ip: '10.0.0.8' } },
      { ...read, agent: { ...read.agent, userAgent: 'other' } },
      { ...read, agent: { ...read.agent, clientId: 'other' } },
      { ...read, agent: { ...read.agent, accountId: 'acc-2' } },
      { ...read, agent: { ...read.agent, who: 'Practitioner/p2' } },
      { ...read, action: 'history' },
      { ...read, action: 'history', entity: { type: 'Observation' } },
    ];
    const keys = new Set([key, ...different.map(coalescingKey)]);
    expect(keys.size).toBe(different.length + 1);
    expect(
      coalescingKey(entry({ action: 'search', entity: { type: 'Observation', query: 'a=1' }, patient: 'Patient/x' }))
    ).toBe(
      coalescingKey(entry({ action: 'search', entity: { type: 'Observation', query: 'b=2' }, patient: 'Patient/x' }))
    );
  });

  test('groupAuditEntries: in order of first entry, capped, within the span', () => {
    const at = (ms: number): Date => new Date(recorded.getTime() + ms);
    const read = (id: string, ms = 0, clientId = 'a'): AuditEntry =>
      entry({ entity: { reference: `Observation/${id}` }, recorded: at(ms), agent: { clientId } });
    const create = entry({ action: 'create', entity: { reference: 'Observation/c/_history/1' } });
    const groups = groupAuditEntries(
      [read('1'), read('2', 0, 'b'), create, read('3'), read('4'), read('5', 5000), read('6', 5500)],
      { maxEntries: 3, maxSpanMs: 1000 }
    );
    expect(groups.map((g) => g.map((e) => e.entity?.reference))).toEqual([
      ['Observation/1', 'Observation/3', 'Observation/4'],
      ['Observation/2'],
      ['Observation/c/_history/1'],
      ['Observation/5', 'Observation/6'],
    ]);
  });

  test('an unknown action is a programming error', () => {
    expect(() => buildAuditEvent(entry({ action: 'frobnicate' as AuditEntry['action'] }))).toThrow(
      /Unknown audit action/
    );
  });
});
