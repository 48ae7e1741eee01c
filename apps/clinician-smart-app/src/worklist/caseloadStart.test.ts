// The worklist load started with the session: which launches start it, and that the page takes it once, fresh, for the same user.
import type { MedplumClient } from '@medplum/core';
import { describe, expect, test } from 'vitest';
import { opensOnWorklist, startCaseloadLoad, takeStartedCaseloadLoad } from './caseloadStart.ts';

/** A client whose every search fails: the started load's outcome is then known without a server. */
function offlineClient(): MedplumClient {
  return { search: () => Promise.reject(new Error('offline')) } as unknown as MedplumClient;
}

describe('opensOnWorklist', () => {
  test.each([
    ['/apps/clinician/worklist', undefined, true],
    ['/apps/clinician/worklist/', 'p1', true],
    ['/apps/clinician/', undefined, true],
    ['/apps/clinician', undefined, true],
    // An EHR launch with a patient opens `/` on the patient view.
    ['/apps/clinician/', 'p1', false],
    ['/apps/clinician/patient/p1', undefined, false],
    ['/apps/clinician/enrol', undefined, false],
  ])('%s with launch patient %s: %s', (pathname, patient, expected) => {
    expect(opensOnWorklist(pathname, '/apps/clinician/', patient)).toBe(expected);
  });
});

describe('takeStartedCaseloadLoad', () => {
  test('the page takes the started load once; a refresh after that loads afresh', async () => {
    const medplum = offlineClient();
    startCaseloadLoad(medplum, 'Practitioner/1');
    const taken = takeStartedCaseloadLoad(medplum, 'Practitioner/1');
    await expect(taken).rejects.toThrow('offline');
    expect(takeStartedCaseloadLoad(medplum, 'Practitioner/1')).toBeUndefined();
  });

  test('not for another client or user, and not once it is 15 s old', () => {
    const medplum = offlineClient();
    startCaseloadLoad(medplum, 'Practitioner/1');
    expect(takeStartedCaseloadLoad(offlineClient(), 'Practitioner/1')).toBeUndefined();
    startCaseloadLoad(medplum, 'Practitioner/1');
    expect(takeStartedCaseloadLoad(medplum, 'Practitioner/2')).toBeUndefined();
    startCaseloadLoad(medplum, 'Practitioner/1');
    expect(takeStartedCaseloadLoad(medplum, 'Practitioner/1', Date.now() + 15_000)).toBeUndefined();
    startCaseloadLoad(medplum, 'Practitioner/1');
    expect(takeStartedCaseloadLoad(medplum, 'Practitioner/1', Date.now() + 14_000)).toBeDefined();
  });
});
