// Launch parameters: a standalone patient launch on this server, patient scopes only, redirect to the app folder.
import { describe, expect, test } from 'vitest';
import { DEFAULT_CLIENT_ID, launchOptions, PATIENT_SCOPES } from './launchOptions.ts';

describe('launchOptions', () => {
  test('standalone: this server’s FHIR base, the seeded client, launch/patient and patient scopes only', () => {
    const options = launchOptions(new URL('https://rpm.example/apps/patient/launch.html'));
    expect(options).toEqual({
      clientId: DEFAULT_CLIENT_ID,
      iss: 'https://rpm.example/fhir/R4',
      scope: PATIENT_SCOPES.join(' '),
      redirectUri: 'https://rpm.example/apps/patient/',
      pkceMode: 'required',
    });
    const scopes = String(options.scope).split(' ');
    expect(scopes).toContain('launch/patient');
    expect(scopes.filter((s) => s.startsWith('user/') || s.startsWith('system/'))).toEqual([]);
  });

  test('iss and clientId from the address win; the dev server’s default iss comes next', () => {
    const options = launchOptions(
      new URL('https://rpm.example/apps/patient/launch.html?iss=https%3A%2F%2Ffhir.example%2FR4&clientId=other'),
      'http://localhost:8103/fhir/R4'
    );
    expect(options.iss).toBe('https://fhir.example/R4');
    expect(options.clientId).toBe('other');
    expect(launchOptions(new URL('http://localhost:5174/apps/patient/launch.html'), 'http://x/fhir/R4').iss).toBe(
      'http://x/fhir/R4'
    );
  });
});
