// Launch parameters: EHR launch (iss + launch → scope launch), standalone (no patient picker), client id and redirect.
import { describe, expect, test } from 'vitest';
import { CLINICIAN_SCOPES, DEFAULT_CLIENT_ID, launchOptions } from './launchOptions.ts';

describe('launchOptions', () => {
  test('EHR launch: the EHR’s iss and launch, scope with launch, redirect to the app folder', () => {
    const options = launchOptions(
      new URL('https://rpm.example/apps/clinician/launch.html?iss=https%3A%2F%2Fehr.example%2Ffhir&launch=abc')
    );
    expect(options).toEqual({
      clientId: DEFAULT_CLIENT_ID,
      iss: 'https://ehr.example/fhir',
      launch: 'abc',
      scope: ['launch', ...CLINICIAN_SCOPES].join(' '),
      redirectUri: 'https://rpm.example/apps/clinician/',
      pkceMode: 'required',
    });
  });

  test('standalone launch: this server’s FHIR base, no launch scopes (the caseload, not a patient picker)', () => {
    const options = launchOptions(new URL('https://rpm.example/apps/clinician/launch.html?clientId=other-app'));
    expect(options.iss).toBe('https://rpm.example/fhir/R4');
    expect(options.clientId).toBe('other-app');
    expect(options.launch).toBeUndefined();
    expect(String(options.scope).split(' ')).not.toContain('launch');
    expect(String(options.scope).split(' ')).not.toContain('launch/patient');
  });
});
