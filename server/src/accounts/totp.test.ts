// TOTP against the RFC 6238 Appendix B vectors, the ±1 step window, replay refusal, the otpauth URI and QR SVG.
import { describe, expect, test } from 'vitest';
import { base32Decode, base32Encode } from './base32.ts';
import {
  generateTotpSecret,
  hotp,
  matchTotpStep,
  totpCode,
  totpQrSvg,
  totpStepAt,
  totpUri,
  TOTP_STEP_SECONDS,
} from './totp.ts';

/** RFC 6238 Appendix B, SHA-1 rows: the seed is the ASCII string "12345678901234567890". */
const RFC_6238_SHA1: Array<[number, string]> = [
  [59, '94287082'],
  [1111111109, '07081804'],
  [1111111111, '14050471'],
  [1234567890, '89005924'],
  [2000000000, '69279037'],
  [20000000000, '65353130'],
];
const RFC_SEED = Buffer.from('12345678901234567890', 'ascii');

describe('RFC 4648 base32', () => {
  test('the RFC test vectors (without padding) and back', () => {
    const vectors: Array<[string, string]> = [
      ['', ''],
      ['f', 'MY'],
      ['fo', 'MZXQ'],
      ['foo', 'MZXW6'],
      ['foob', 'MZXW6YQ'],
      ['fooba', 'MZXW6YTB'],
      ['foobar', 'MZXW6YTBOI'],
    ];
    for (const [plain, encoded] of vectors) {
      expect(base32Encode(Buffer.from(plain))).toBe(encoded);
      expect(base32Decode(encoded)?.toString()).toBe(plain);
    }
    expect(base32Decode('mzxw 6ytb oi======')?.toString()).toBe('foobar');
    expect(base32Decode('MZXW1')).toBeUndefined();
  });
});

describe('TOTP codes', () => {
  test('RFC 6238 Appendix B, SHA-1, 8 digits', () => {
    for (const [seconds, expected] of RFC_6238_SHA1) {
      const step = totpStepAt(seconds * 1000);
      expect(hotp(RFC_SEED, step, 8)).toBe(expected);
      expect(totpCode(base32Encode(RFC_SEED), step, 8)).toBe(expected);
    }
  });

  test('6-digit codes are the last 6 digits of the same truncation', () => {
    const secret = base32Encode(RFC_SEED);
    for (const [seconds, expected] of RFC_6238_SHA1) {
      expect(totpCode(secret, totpStepAt(seconds * 1000))).toBe(expected.slice(2));
    }
  });

  test('secrets are 20 random bytes in base32', () => {
    const secret = generateTotpSecret();
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(base32Decode(secret)).toHaveLength(20);
    expect(generateTotpSecret()).not.toBe(secret);
  });
});

describe('matchTotpStep', () => {
  const secret = base32Encode(RFC_SEED);
  const nowMs = 1111111111 * 1000;
  const now = totpStepAt(nowMs);
  const code = (step: number) => totpCode(secret, step);

  test('accepts the current step and one either side, nothing further', () => {
    expect(matchTotpStep(secret, code(now), { nowMs })).toBe(now);
    expect(matchTotpStep(secret, code(now - 1), { nowMs })).toBe(now - 1);
    expect(matchTotpStep(secret, code(now + 1), { nowMs })).toBe(now + 1);
    expect(matchTotpStep(secret, code(now - 2), { nowMs })).toBeUndefined();
    expect(matchTotpStep(secret, code(now + 2), { nowMs })).toBeUndefined();
  });

  test('replay: a code for a step at or before the last used step is refused', () => {
    expect(matchTotpStep(secret, code(now), { nowMs, lastStep: now - 1 })).toBe(now);
    expect(matchTotpStep(secret, code(now), { nowMs, lastStep: now })).toBeUndefined();
    expect(matchTotpStep(secret, code(now - 1), { nowMs, lastStep: now })).toBeUndefined();
    expect(matchTotpStep(secret, code(now + 1), { nowMs, lastStep: now })).toBe(now + 1);
  });

  test('spaces are ignored; anything but six digits is refused', () => {
    const right = code(now);
    expect(matchTotpStep(secret, `${right.slice(0, 3)} ${right.slice(3)}`, { nowMs })).toBe(now);
    expect(matchTotpStep(secret, `${right}0`, { nowMs })).toBeUndefined();
    expect(matchTotpStep(secret, right.slice(1), { nowMs })).toBeUndefined();
    expect(matchTotpStep(secret, 'abcdef', { nowMs })).toBeUndefined();
    expect(matchTotpStep(secret, undefined, { nowMs })).toBeUndefined();
    expect(matchTotpStep(secret, Number(right), { nowMs })).toBeUndefined();
  });

  test('uses the clock by default', () => {
    const step = totpStepAt(Date.now());
    const current = totpCode(secret, step);
    // Near a step boundary the code may belong to the next step: either way it matches.
    expect(matchTotpStep(secret, current)).toBeGreaterThanOrEqual(step);
    expect(TOTP_STEP_SECONDS).toBe(30);
  });
});

describe('enrolment URI and QR code', () => {
  test('an otpauth URI with the RPM issuer', () => {
    const uri = new URL(totpUri('JBSWY3DPEHPK3PXP', 'grace.okafor@example.org'));
    expect(uri.protocol).toBe('otpauth:');
    expect(uri.host).toBe('totp');
    expect(decodeURIComponent(uri.pathname)).toBe('/RPM:grace.okafor@example.org');
    expect(Object.fromEntries(uri.searchParams)).toEqual({
      secret: 'JBSWY3DPEHPK3PXP',
      issuer: 'RPM',
      algorithm: 'SHA1',
      digits: '6',
      period: '30',
    });
  });

  test('the QR code is a self-contained inline SVG', async () => {
    const svg = await totpQrSvg(totpUri('JBSWY3DPEHPK3PXP', 'grace.okafor@example.org'));
    expect(svg.trim()).toMatch(/^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(svg.trim()).toMatch(/<\/svg>$/);
    expect(svg).toContain('<path');
    expect(svg).not.toMatch(/href|<script|<image|url\(/i);
  });
});
