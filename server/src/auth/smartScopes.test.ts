// SMART scope parsing, coverage between registered and requested scopes, and the interaction check.
import { describe, expect, test } from 'vitest';
import { isScopeAllowed, parseSmartScope, scopesAllow } from './smartScopes.ts';

describe('parseSmartScope', () => {
  test('v1 permissions map to v2 letters', () => {
    expect([...parseSmartScope('system/*.read')!.interactions]).toEqual(['read', 'search']);
    expect([...parseSmartScope('system/Observation.write')!.interactions]).toEqual(['create', 'update', 'delete']);
    expect(parseSmartScope('system/*.*')!.interactions.size).toBe(5);
  });

  test('v2 letters in order, with an optional granular query', () => {
    expect(parseSmartScope('patient/Observation.rs?category=vital-signs')).toEqual({
      context: 'patient',
      resourceType: 'Observation',
      interactions: new Set(['read', 'search']),
      query: 'category=vital-signs',
    });
    expect([...parseSmartScope('user/*.cruds')!.interactions]).toEqual([
      'create',
      'read',
      'update',
      'delete',
      'search',
    ]);
  });

  test.each([
    'openid',
    'launch/patient',
    'system/*.sr',
    'system/*.rr',
    'system/*.',
    'system/observation.rs',
    'device/*.rs',
    'system/*.read?x=1',
    'system/*.x',
  ])('refuses %s', (scope) => {
    expect(parseSmartScope(scope)).toBeUndefined();
  });
});

describe('isScopeAllowed', () => {
  test('a wildcard registration covers narrower requests in both spellings', () => {
    const admin = ['system/*.*'];
    expect(isScopeAllowed(admin, 'system/*.cruds')).toBe(true);
    expect(isScopeAllowed(admin, 'system/Observation.rs')).toBe(true);
    expect(isScopeAllowed(admin, 'system/Patient.read')).toBe(true);
    expect(isScopeAllowed(admin, 'system/Observation.rs?code=1234-5')).toBe(true);
  });

  test('never more interactions, another type, another context or another query', () => {
    expect(isScopeAllowed(['system/*.rs'], 'system/*.cruds')).toBe(false);
    expect(isScopeAllowed(['system/Observation.cruds'], 'system/Patient.r')).toBe(false);
    expect(isScopeAllowed(['system/*.cruds'], 'patient/*.rs')).toBe(false);
    expect(isScopeAllowed(['system/Observation.rs?category=vital-signs'], 'system/Observation.rs')).toBe(false);
    expect(isScopeAllowed(['system/*.*'], 'openid')).toBe(false);
  });
});

describe('scopesAllow', () => {
  test('system scopes grant interactions on matching types', () => {
    expect(scopesAllow(['system/Observation.rs'], 'Observation', 'search')).toBe(true);
    expect(scopesAllow(['system/Observation.rs'], 'Observation', 'create')).toBe(false);
    expect(scopesAllow(['system/Observation.rs'], 'Patient', 'read')).toBe(false);
    expect(scopesAllow(['system/*.write'], 'Patient', 'update')).toBe(true);
    expect(scopesAllow(['system/*.write'], 'Patient', 'read')).toBe(false);
  });

  test('patient, user and query-restricted scopes do not grant type-wide access yet', () => {
    expect(scopesAllow(['patient/*.cruds', 'user/*.cruds'], 'Observation', 'read')).toBe(false);
    expect(scopesAllow(['system/Observation.rs?category=vital-signs'], 'Observation', 'search')).toBe(false);
  });
});
