// Password hashing (argon2id, OWASP parameters) and the password policy: length in code points, common list, identity.
import { hash } from '@node-rs/argon2';
import { describe, expect, test } from 'vitest';
import { isCommonPassword } from './commonPasswords.ts';
import {
  hashPassword,
  passwordNeedsRehash,
  passwordProblems,
  PASSWORD_MAX_LENGTH,
  PASSWORD_MIN_LENGTH,
  verifyPassword,
} from './passwords.ts';

describe('hashPassword / verifyPassword', () => {
  test('argon2id with the OWASP parameters; salted; verifies only the right password', async () => {
    const stored = await hashPassword('correct horse battery staple');
    expect(stored).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/);
    expect(stored).not.toContain('correct horse');
    expect(await hashPassword('correct horse battery staple')).not.toBe(stored);
    expect(await verifyPassword('correct horse battery staple', stored)).toBe(true);
    expect(await verifyPassword('Correct horse battery staple', stored)).toBe(false);
    expect(await verifyPassword('', stored)).toBe(false);
    expect(passwordNeedsRehash(stored)).toBe(false);
  });

  test('anything but an argon2 hash never verifies', async () => {
    expect(await verifyPassword('secret', 'secret')).toBe(false);
    expect(await verifyPassword('secret', null)).toBe(false);
    expect(await verifyPassword('secret', undefined)).toBe(false);
    expect(await verifyPassword('secret', '$argon2id$garbage')).toBe(false);
  });

  test('Unicode passwords match in any normalisation form (NFKC)', async () => {
    const composed = 'caf\u00e9-au-lait-2024';
    const decomposed = 'cafe\u0301-au-lait-2024';
    expect(await verifyPassword(decomposed, await hashPassword(composed))).toBe(true);
  });

  test('weaker parameters ask for a rehash; such a hash still verifies', async () => {
    const weaker = await hash('an older password', { memoryCost: 4096, timeCost: 3 });
    expect(weaker).toMatch(/^\$argon2id\$v=19\$m=4096,t=3,p=1\$/);
    expect(passwordNeedsRehash(weaker)).toBe(true);
    expect(await verifyPassword('an older password', weaker)).toBe(true);
    expect(passwordNeedsRehash('not a hash')).toBe(true);
  });
});

describe('passwordProblems', () => {
  test('at least 12 Unicode code points: 11 refused, 12 accepted', () => {
    expect(PASSWORD_MIN_LENGTH).toBe(12);
    expect(passwordProblems('kq8#vt2!mzp')).toEqual(['The password must be at least 12 characters long']);
    expect(passwordProblems('kq8#vt2!mzpx')).toEqual([]);
  });

  test('length counts code points, not UTF-16 units', () => {
    // 11 emoji are 22 UTF-16 units but 11 characters; 12 are enough.
    expect(passwordProblems('🦊🐢🌵🎻🚲🧭🪁🦉🍋🛶🧩')).toHaveLength(1);
    expect(passwordProblems('🦊🐢🌵🎻🚲🧭🪁🦉🍋🛶🧩🪴')).toEqual([]);
    expect(passwordProblems('ñandú-kōwhai')).toEqual([]);
  });

  test('at most 128 code points', () => {
    expect(PASSWORD_MAX_LENGTH).toBe(128);
    const base = 'Zq9!'.repeat(32);
    expect(passwordProblems(base)).toEqual([]);
    expect(passwordProblems(`${base}x`)).toEqual(['The password must be at most 128 characters long']);
  });

  test('common passwords are refused, ignoring case; the list comes from the package, not from us', () => {
    expect(isCommonPassword('password')).toBe(true);
    expect(isCommonPassword('PASSWORD')).toBe(true);
    expect(passwordProblems('qwerty123456')).toEqual([
      'The password is too common: it appears in lists of passwords attackers try first',
    ]);
    expect(passwordProblems('1q2w3e4r5t6Y')).toHaveLength(1);
    expect(passwordProblems('leavemealone')).toHaveLength(1);
    // Short and common: both problems reported.
    expect(passwordProblems('letmein')).toHaveLength(2);
  });

  test("the email address's local part and the person's name may not be in the password", () => {
    const owner = { email: 'Grace.Okafor@example.org', displayName: 'Grace Okafor' };
    expect(passwordProblems('my-grace.okafor-2024!', owner)).toContain(
      'The password must not contain your email address'
    );
    expect(passwordProblems('xx-GRACE.OKAFOR-xx', owner)).toContain('The password must not contain your email address');
    expect(passwordProblems('okafor-family-1948', owner)).toEqual(['The password must not contain your name']);
    expect(passwordProblems('tangerine-bicycle-41', owner)).toEqual([]);
    // Very short local parts and names would match by chance: not looked for.
    expect(passwordProblems('a-tangerine-bicycle', { email: 'a@example.org', displayName: 'Al' })).toEqual([]);
  });

  test('not text', () => {
    expect(passwordProblems(42 as unknown as string)).toEqual(['The password must be text']);
  });
});
