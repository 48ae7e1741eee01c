// Which $lastn failures mean "this server does not have the operation" (then plain searches) and which do not.
import { badRequest, MedplumClient, notFound, OperationOutcomeError, unauthorized } from '@medplum/core';
import { describe, expect, test } from 'vitest';
import { lastNUnsupported, mayHaveLastN } from './lastN.ts';

const client = (): MedplumClient => new MedplumClient({ baseUrl: 'http://127.0.0.1:9/', fetch: globalThis.fetch });

describe('lastNUnsupported', () => {
  test.each([
    ['404 unknown operation', notFound],
    ['400 refused', badRequest('Unknown operation $lastn')],
  ])('%s: the client uses plain searches from then on', (_name, outcome) => {
    const medplum = client();
    expect(mayHaveLastN(medplum)).toBe(true);
    expect(lastNUnsupported(medplum, new OperationOutcomeError(outcome))).toBe(true);
    expect(mayHaveLastN(medplum)).toBe(false);
  });

  test('an expired session or a network failure is not taken for a missing operation', () => {
    const medplum = client();
    expect(lastNUnsupported(medplum, new OperationOutcomeError(unauthorized))).toBe(false);
    expect(lastNUnsupported(medplum, new TypeError('Failed to fetch'))).toBe(false);
    expect(mayHaveLastN(medplum)).toBe(true);
  });
});
