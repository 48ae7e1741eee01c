// A transaction counts as loaded only when every entry came back 201 with a location.
import { describe, expect, it } from 'vitest';
import { checkTransactionResponse, referenceFromLocation } from './fhirClient.ts';

function response(statuses: string[]): string {
  return JSON.stringify({
    resourceType: 'Bundle',
    type: 'transaction-response',
    entry: statuses.map((status, i) => ({ response: { status, location: `Observation/id-${i}/_history/1` } })),
  });
}

describe('checkTransactionResponse', () => {
  it('accepts all-201 responses and returns the references', () => {
    const outcome = checkTransactionResponse(200, response(['201 Created', '201']), 2);
    expect(outcome).toEqual({ created: 2, references: ['Observation/id-0', 'Observation/id-1'] });
  });

  it('rejects HTTP errors, missing entries and non-201 entries', () => {
    expect(checkTransactionResponse(400, '{"resourceType":"OperationOutcome"}', 2).error).toMatch(/HTTP 400/);
    expect(checkTransactionResponse(200, response(['201']), 2).error).toMatch(/expected 2/);
    expect(checkTransactionResponse(200, response(['201', '200 OK']), 2).error).toMatch(/200 OK/);
    expect(checkTransactionResponse(200, '{"resourceType":"Bundle","type":"batch-response"}', 1).error).toMatch(
      /transaction-response/
    );
  });
});

describe('referenceFromLocation', () => {
  it('reads relative and absolute locations', () => {
    expect(referenceFromLocation('Observation/abc-1/_history/2')).toBe('Observation/abc-1');
    expect(referenceFromLocation('http://127.0.0.1:8103/fhir/R4/Patient/xyz/_history/1')).toBe('Patient/xyz');
    expect(referenceFromLocation('Patient/xyz')).toBe('Patient/xyz');
  });
});
