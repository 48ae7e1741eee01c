// Choosing the recipient's email address or mobile number from its telecom.
import type { Practitioner } from '@medplum/fhirtypes';
import { describe, expect, test } from 'vitest';
import { recipientAddress } from './recipientAddress.ts';

function practitioner(telecom: Practitioner['telecom']): Practitioner {
  return { resourceType: 'Practitioner', telecom };
}

describe('recipientAddress', () => {
  test('email: the email contact point with the lowest rank', () => {
    const p = practitioner([
      { system: 'phone', value: '07700900001', use: 'mobile' },
      { system: 'email', value: 'second@example.org', rank: 2 },
      { system: 'email', value: 'first@example.org', rank: 1 },
    ]);
    expect(recipientAddress(p, 'email')).toBe('first@example.org');
  });

  test("sms: an 'sms' contact point first, else a mobile 'phone'; never a landline", () => {
    expect(
      recipientAddress(
        practitioner([
          { system: 'phone', value: '07700900001', use: 'mobile' },
          { system: 'sms', value: '07700900002' },
        ]),
        'sms'
      )
    ).toBe('07700900002');
    expect(recipientAddress(practitioner([{ system: 'phone', value: '07700900001', use: 'mobile' }]), 'sms')).toBe(
      '07700900001'
    );
    expect(
      recipientAddress(practitioner([{ system: 'phone', value: '02079460000', use: 'work' }]), 'sms')
    ).toBeUndefined();
  });

  test('skips old, expired and empty contact points', () => {
    const now = new Date('2025-06-01T00:00:00Z');
    const p = practitioner([
      { system: 'email', value: 'old@example.org', use: 'old', rank: 1 },
      { system: 'email', value: 'expired@example.org', period: { end: '2025-01-01' }, rank: 1 },
      { system: 'email', value: '  ', rank: 1 },
      { system: 'email', value: 'current@example.org', period: { end: '2026-01-01' }, rank: 3 },
    ]);
    expect(recipientAddress(p, 'email', now)).toBe('current@example.org');
    expect(recipientAddress(practitioner(undefined), 'email')).toBeUndefined();
  });
});
