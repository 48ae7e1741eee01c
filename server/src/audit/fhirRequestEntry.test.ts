// What each kind of FHIR API request is recorded as: action, entity and patient.
import { describe, expect, test } from 'vitest';
import { describeFhirRequest, type FhirExchange } from './fhirRequestEntry.ts';

function describe_(method: string, path: string, extra: Partial<FhirExchange> = {}) {
  return describeFhirRequest({ method, path, query: '', body: undefined, status: 200, ...extra });
}

describe('describeFhirRequest', () => {
  test('reads, vreads and history', () => {
    expect(describe_('GET', 'Observation/o1')).toEqual({ action: 'read', entity: { reference: 'Observation/o1' } });
    expect(describe_('GET', 'Observation/o1/_history/v2')).toEqual({
      action: 'vread',
      entity: { reference: 'Observation/o1/_history/v2' },
    });
    expect(describe_('GET', 'Observation/o1/_history')).toEqual({
      action: 'history',
      entity: { reference: 'Observation/o1' },
    });
    expect(describe_('GET', 'Observation/_history')).toEqual({ action: 'history', entity: { type: 'Observation' } });
    expect(describe_('GET', '_history')).toEqual({ action: 'history' });
  });

  test("an asynchronous request's status URL: polling reads its AsyncJob, DELETE (cancelling) updates it", () => {
    expect(describe_('GET', 'job/j1/status')).toEqual({ action: 'read', entity: { reference: 'AsyncJob/j1' } });
    expect(describe_('DELETE', 'job/j1/status')).toEqual({ action: 'update', entity: { reference: 'AsyncJob/j1' } });
  });

  test('a Patient read is about that patient', () => {
    expect(describe_('GET', 'Patient/p1')).toEqual({
      action: 'read',
      entity: { reference: 'Patient/p1' },
      patient: 'Patient/p1',
    });
  });

  test('searches keep their query and find the patient in patient= or subject=Patient/', () => {
    expect(describe_('GET', 'Observation', { query: 'subject=Patient/p1&code=8867-4' })).toEqual({
      action: 'search',
      entity: { type: 'Observation', query: 'subject=Patient/p1&code=8867-4' },
      patient: 'Patient/p1',
    });
    expect(describe_('GET', 'Condition', { query: 'patient=p2' })?.patient).toBe('Patient/p2');
    expect(describe_('GET', 'Condition', { query: 'patient=Patient%2Fp3' })?.patient).toBe('Patient/p3');
    expect(describe_('GET', 'Observation', { query: 'subject:Patient=p4' })?.patient).toBe('Patient/p4');
    expect(describe_('GET', 'Observation', { query: 'subject=Device/d1' })?.patient).toBeUndefined();
    expect(describe_('GET', 'Observation', { query: 'patient=p1,p2' })?.patient).toBeUndefined();
    expect(describe_('POST', 'Observation/_search', { query: 'patient=p5' })).toEqual({
      action: 'search',
      entity: { type: 'Observation', query: 'patient=p5' },
      patient: 'Patient/p5',
    });
    expect(describe_('GET', 'Observation')).toEqual({ action: 'search', entity: { type: 'Observation' } });
    expect(describe_('POST', '_search', { query: '_type=Observation' })).toEqual({
      action: 'search',
      entity: { query: '_type=Observation' },
    });
  });

  test('a compartment search is a search of its type in that patient', () => {
    expect(describe_('GET', 'Patient/p1/Observation', { query: 'code=8867-4' })).toEqual({
      action: 'search',
      entity: { type: 'Observation', query: 'code=8867-4' },
      patient: 'Patient/p1',
    });
  });

  test('writes: the created reference from Location, the patient from the body', () => {
    expect(
      describe_('POST', 'Observation', {
        status: 201,
        location: 'http://x/fhir/R4/Observation/o9/_history/v1',
        body: { resourceType: 'Observation', subject: { reference: 'Patient/p1' } },
      })
    ).toEqual({ action: 'create', entity: { reference: 'Observation/o9/_history/v1' }, patient: 'Patient/p1' });
    expect(describe_('POST', 'Observation', { status: 400 })).toEqual({
      action: 'create',
      entity: { type: 'Observation' },
    });
    expect(describe_('PUT', 'Observation/o1')).toEqual({ action: 'update', entity: { reference: 'Observation/o1' } });
    expect(describe_('PATCH', 'Observation/o1', { body: [{ op: 'remove', path: '/note' }] })).toEqual({
      action: 'patch',
      entity: { reference: 'Observation/o1' },
    });
    expect(describe_('DELETE', 'Observation/o1')).toEqual({
      action: 'delete',
      entity: { reference: 'Observation/o1' },
    });
    expect(describe_('DELETE', 'Observation', { query: 'identifier=x' })).toEqual({
      action: 'delete',
      entity: { type: 'Observation', query: 'identifier=x' },
    });
    expect(
      describe_('PUT', 'Encounter/e1', { body: { resourceType: 'Encounter', subject: { reference: 'Patient/p2' } } })
        ?.patient
    ).toBe('Patient/p2');
  });

  test('bundles: transaction or batch from the body', () => {
    expect(describe_('POST', '', { body: { resourceType: 'Bundle', type: 'transaction' } })).toEqual({
      action: 'transaction',
    });
    expect(describe_('POST', '', { body: { resourceType: 'Bundle', type: 'batch' } })).toEqual({ action: 'batch' });
    expect(describe_('POST', '', { body: undefined })).toEqual({ action: 'batch' });
  });

  test('operations and $export', () => {
    expect(describe_('POST', 'Observation/$validate')).toEqual({
      action: 'operation',
      entity: { type: 'Observation', detail: { operation: '$validate' } },
    });
    expect(describe_('GET', 'Patient/p1/$everything')).toEqual({
      action: 'operation',
      entity: { reference: 'Patient/p1', detail: { operation: '$everything' } },
      patient: 'Patient/p1',
    });
    expect(describe_('GET', '$export')).toEqual({ action: 'export', entity: { detail: { operation: '$export' } } });
    // A type-level operation's query says whose data it read (one patient named: that patient).
    expect(describe_('GET', 'Observation/$lastn', { query: 'subject=Patient/p1&category=vital-signs' })).toEqual({
      action: 'operation',
      entity: {
        type: 'Observation',
        query: 'subject=Patient/p1&category=vital-signs',
        detail: { operation: '$lastn' },
      },
      patient: 'Patient/p1',
    });
    expect(describe_('GET', 'Group/g1/$export')).toEqual({
      action: 'export',
      entity: { reference: 'Group/g1', detail: { operation: '$export' } },
    });
  });

  test('the launch patient is the fallback, and metadata is not audited', () => {
    expect(describe_('GET', 'Observation/o1', { contextPatient: 'p8' })?.patient).toBe('Patient/p8');
    expect(describe_('GET', 'Observation', { query: 'subject=Patient/p1', contextPatient: 'p8' })?.patient).toBe(
      'Patient/p1'
    );
    expect(describe_('GET', 'metadata')).toBeUndefined();
  });
});
