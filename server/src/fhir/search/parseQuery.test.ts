// parseSearchQuery: core-compatible filters, composite support, and 400s (never plain Errors) for bad input.
import { OperationOutcomeError } from '@medplum/core';
import { beforeAll, describe, expect, test } from 'vitest';
import { loadFhirDefinitions } from '../definitions.ts';
import { parseSearchQuery } from './parseQuery.ts';

beforeAll(() => loadFhirDefinitions());

/** The OperationOutcome diagnostics of a 400 thrown by fn (fails if it does not throw one). */
function badRequest(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(OperationOutcomeError);
    const outcome = (err as OperationOutcomeError).outcome;
    expect(outcome.issue?.[0]?.code).toBe('invalid');
    return outcome.issue?.[0]?.details?.text ?? '';
  }
  throw new Error('expected a 400 OperationOutcomeError');
}

describe('parseSearchQuery', () => {
  test('ordinary parameters, prefixes and modifiers in @medplum/core representation', () => {
    const request = parseSearchQuery('Observation', {
      subject: 'Patient/1',
      code: 'http://loinc.org|8867-4',
      date: ['ge2024-01-01', 'lt2024-02'],
      'value-quantity': 'gt5.4|http://unitsofmeasure.org|mg',
      'status:not': 'cancelled',
      'code:text': 'heart',
      'focus:missing': 'true',
    });
    expect(request.filters).toEqual([
      { code: 'subject', operator: 'eq', value: 'Patient/1' },
      { code: 'code', operator: 'eq', value: 'http://loinc.org|8867-4' },
      { code: 'date', operator: 'ge', value: '2024-01-01' },
      { code: 'date', operator: 'lt', value: '2024-02' },
      { code: 'value-quantity', operator: 'gt', value: '5.4|http://unitsofmeasure.org|mg' },
      { code: 'status', operator: 'not', value: 'cancelled' },
      { code: 'code', operator: 'text', value: 'heart' },
      { code: 'focus', operator: 'missing', value: 'true' },
    ]);
  });

  test('composite parameters are supported (core throws a plain Error for them)', () => {
    const request = parseSearchQuery('Observation', {
      'component-code-value-quantity': 'http://loinc.org|8480-6$gt140',
      'combo-code-value-quantity': 'http://loinc.org|8867-4$lt50,http://loinc.org|8867-4$gt120',
    });
    expect(request.filters).toEqual([
      { code: 'component-code-value-quantity', operator: 'eq', value: 'http://loinc.org|8480-6$gt140' },
      {
        code: 'combo-code-value-quantity',
        operator: 'eq',
        value: 'http://loinc.org|8867-4$lt50,http://loinc.org|8867-4$gt120',
      },
    ]);
    expect(
      badRequest(() => parseSearchQuery('Observation', { 'code-value-quantity': 'http://loinc.org|8480-6' }))
    ).toContain('composite');
    expect(
      badRequest(() => parseSearchQuery('Observation', { 'code-value-quantity': 'http://loinc.org|8480-6$xx140' }))
    ).toContain('prefix');
    expect(badRequest(() => parseSearchQuery('Observation', { 'code-value-quantity:exact': 'a$1' }))).toContain(
      'exact'
    );
  });

  test('typed references keep their type; chains and _has stay whole', () => {
    const request = parseSearchQuery('Observation', {
      'subject:Patient': '123,Patient/456',
      'subject:Patient.name': 'smith',
      '_has:Observation:has-member:code': '1234',
    });
    expect(request.filters).toEqual([
      { code: 'subject', operator: 'eq', value: 'Patient/123,Patient/456' },
      { code: 'subject:Patient.name', operator: 'eq', value: 'smith' },
      { code: '_has:Observation:has-member:code', operator: 'eq', value: '1234' },
    ]);
  });

  test('result parameters', () => {
    const request = parseSearchQuery('Observation', {
      _sort: '-date,code,_id',
      _count: '50',
      _offset: '100',
      _total: 'accurate',
      _elements: 'code,Observation.subject',
      _summary: 'data',
      _include: 'Observation:subject:Patient',
      '_revinclude:iterate': 'Provenance:target',
      _format: 'json',
    });
    expect(request).toMatchObject({
      resourceType: 'Observation',
      sortRules: [
        { code: 'date', descending: true },
        { code: 'code', descending: false },
        { code: '_id', descending: false },
      ],
      count: 50,
      offset: 100,
      total: 'accurate',
      fields: ['code', 'subject'],
      summary: 'data',
      include: [{ resourceType: 'Observation', searchParam: 'subject', targetType: 'Patient' }],
      revInclude: [{ resourceType: 'Provenance', searchParam: 'target', modifier: 'iterate' }],
    });
    expect(request.filters).toBeUndefined();
    expect(parseSearchQuery('Observation', { _summary: 'count' })).toMatchObject({ count: 0, total: 'accurate' });
  });

  test('unknown parameters are kept for executeSearch to judge (strict 400 / lenient ignore)', () => {
    expect(parseSearchQuery('Patient', { 'not-a-param': 'x', 'foo:exact': 'y' }).filters).toEqual([
      { code: 'not-a-param', operator: 'eq', value: 'x' },
      { code: 'foo', operator: 'exact', value: 'y' },
    ]);
  });

  test('repeated identical filters are kept once', () => {
    expect(parseSearchQuery('Patient', { name: ['a', 'a', 'b'] }).filters).toHaveLength(2);
  });

  test('invalid values, prefixes and modifiers are 400s naming the parameter', () => {
    expect(badRequest(() => parseSearchQuery('Observation', { date: '2024-13-01' }))).toContain("'date'");
    expect(badRequest(() => parseSearchQuery('Observation', { date: 'xx2024' }))).toContain('prefix');
    expect(badRequest(() => parseSearchQuery('Observation', { date: "2024'; DROP TABLE resource;--" }))).toContain(
      'date'
    );
    expect(badRequest(() => parseSearchQuery('Observation', { 'value-quantity': '12abc' }))).toContain('number');
    expect(badRequest(() => parseSearchQuery('Observation', { 'value-quantity': '5|a' }))).toContain('quantity');
    expect(badRequest(() => parseSearchQuery('Observation', { 'code:foo': 'x' }))).toContain("'foo'");
    expect(badRequest(() => parseSearchQuery('Observation', { 'code:in': 'http://vs' }))).toContain("'in'");
    expect(badRequest(() => parseSearchQuery('Observation', { 'date:exact': '2024' }))).toContain("'exact'");
    expect(badRequest(() => parseSearchQuery('Observation', { 'subject:NotAType': '1' }))).toContain('NotAType');
    expect(badRequest(() => parseSearchQuery('Patient', { active: 'yes' }))).toContain('true or false');
    expect(badRequest(() => parseSearchQuery('Patient', { 'name:missing': 'maybe' }))).toContain('true or false');
    expect(badRequest(() => parseSearchQuery('Patient', { name: 'a\0b' }))).toContain('NUL');
    expect(badRequest(() => parseSearchQuery('Patient', { name: 'x'.repeat(5000) }))).toContain('too long');
    expect(badRequest(() => parseSearchQuery('Patient', { name: 'x'.repeat(70_000) }))).toContain('too long');
    expect(
      badRequest(() => parseSearchQuery('Patient', { name: Array.from({ length: 1001 }, (_, i) => `n${i}`).join(',') }))
    ).toContain('Too many');
    expect(badRequest(() => parseSearchQuery('Patient', { name: { nested: 'x' } as unknown as string }))).toContain(
      'name'
    );
    expect(badRequest(() => parseSearchQuery('Patient', { _count: 'abc' }))).toContain('_count');
    expect(badRequest(() => parseSearchQuery('Patient', { _count: '-1' }))).toContain('_count');
    expect(badRequest(() => parseSearchQuery('Patient', { _offset: '1e9' }))).toContain('_offset');
    expect(badRequest(() => parseSearchQuery('Patient', { _total: 'all' }))).toContain('_total');
    expect(badRequest(() => parseSearchQuery('Patient', { _summary: 'maybe' }))).toContain('_summary');
    expect(badRequest(() => parseSearchQuery('Patient', { _sort: 'name;DROP TABLE resource' }))).toContain('_sort');
    expect(badRequest(() => parseSearchQuery('Patient', { _elements: 'name)' }))).toContain('_elements');
    expect(badRequest(() => parseSearchQuery('Patient', { _include: '*' }))).toContain('_include');
    expect(badRequest(() => parseSearchQuery('Patient', { '_include:recurse': 'Patient:link' }))).toContain('recurse');
    expect(badRequest(() => parseSearchQuery('Patient', { '_has:Observation:patient': 'x' }))).toContain('_has');
    expect(badRequest(() => parseSearchQuery('Patient', { '_has:Observation:code:code': 'x' }))).toContain(
      'cannot refer'
    );
    expect(badRequest(() => parseSearchQuery('NotAType', {}))).toContain('NotAType');
    expect(
      badRequest(() => parseSearchQuery('Patient', { name: Array.from({ length: 101 }, (_, i) => `v${i}`) }))
    ).toContain('Too many');
  });

  test('SQL injection strings are ordinary values', () => {
    const request = parseSearchQuery('Patient', {
      name: "Robert'); DROP TABLE resource;--",
      identifier: "x' OR '1'='1",
    });
    expect(request.filters?.map((f) => f.value)).toEqual(["Robert'); DROP TABLE resource;--", "x' OR '1'='1"]);
  });
});
