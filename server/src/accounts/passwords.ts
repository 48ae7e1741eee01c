// Account passwords: argon2id hashes (OWASP parameters) and the policy a new password must meet.
import crypto from 'node:crypto';
import { hash, parseOptions, verify, type Algorithm, type Options } from '@node-rs/argon2';
import { isCommonPassword } from './commonPasswords.ts';

/** Fewest characters (Unicode code points) in a password. */
export const PASSWORD_MIN_LENGTH = 12;
/** Most characters (Unicode code points): bounds the hashing work one request can cause. */
export const PASSWORD_MAX_LENGTH = 128;

/**
 * OWASP Password Storage Cheat Sheet, argon2id: 19 MiB of memory, 2 iterations, 1 degree of parallelism.
 * (Algorithm is a const enum in the package's types; 2 is Argon2id.)
 */
const ARGON2_OPTIONS: Options = {
  algorithm: 2 as Algorithm,
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
  outputLen: 32,
};

/**
 * Unicode passwords are compared in NFKC form, so the same password typed on different keyboards or platforms
 * (composed or decomposed accents, full-width digits) matches (NIST SP 800-63B §5.1.1.2).
 */
function normalize(password: string): string {
  return password.normalize('NFKC');
}

/** An argon2id PHC string ('$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>') for the password. */
export async function hashPassword(password: string): Promise<string> {
  return hash(normalize(password), ARGON2_OPTIONS);
}

/** True when the password matches the stored hash; false for a wrong password or anything not an argon2 hash. */
export async function verifyPassword(password: string, stored: string | null | undefined): Promise<boolean> {
  if (typeof password !== 'string' || typeof stored !== 'string' || !stored.startsWith('$argon2')) {
    return false;
  }
  try {
    return await verify(stored, normalize(password));
  } catch {
    return false;
  }
}

/** True when a stored hash was made with weaker or other parameters than today's and should be replaced. */
export function passwordNeedsRehash(stored: string): boolean {
  try {
    const used = parseOptions(stored);
    return (
      used.algorithm !== ARGON2_OPTIONS.algorithm ||
      used.memoryCost !== ARGON2_OPTIONS.memoryCost ||
      used.timeCost !== ARGON2_OPTIONS.timeCost ||
      used.parallelism !== ARGON2_OPTIONS.parallelism ||
      used.outputLen !== ARGON2_OPTIONS.outputLen
    );
  } catch {
    return true;
  }
}

let dummyHash: Promise<string> | undefined;

/**
 * Spends the time of one password check against a hash nobody knows the password of, so that an unknown email (or
 * an account without a password) answers as slowly as a wrong password.
 */
export async function verifyDummyPassword(password: string): Promise<void> {
  dummyHash ??= hash(crypto.randomBytes(32).toString('base64url'), ARGON2_OPTIONS);
  await verifyPassword(typeof password === 'string' ? password : '', await dummyHash);
}

/** Who the password is for: a password must not contain their email address or name. */
export interface PasswordOwner {
  email?: string;
  displayName?: string;
}

/** Shortest email local part, and name word, looked for inside a password (shorter ones would match by chance). */
const EMAIL_PART_MIN_LENGTH = 3;
const NAME_WORD_MIN_LENGTH = 4;

function codePoints(text: string): number {
  return [...text].length;
}

/**
 * What is wrong with a proposed password, in plain English (empty when it is acceptable): length in Unicode code
 * points, the common-password list (ignoring case), and the owner's email address or name inside it.
 */
export function passwordProblems(password: string, owner: PasswordOwner = {}): string[] {
  if (typeof password !== 'string') {
    return ['The password must be text'];
  }
  const problems: string[] = [];
  const normalized = normalize(password);
  const length = codePoints(normalized);
  if (length < PASSWORD_MIN_LENGTH) {
    problems.push(`The password must be at least ${PASSWORD_MIN_LENGTH} characters long`);
  }
  if (length > PASSWORD_MAX_LENGTH) {
    problems.push(`The password must be at most ${PASSWORD_MAX_LENGTH} characters long`);
  }
  if (isCommonPassword(normalized)) {
    problems.push('The password is too common: it appears in lists of passwords attackers try first');
  }
  const lower = normalized.toLowerCase();
  const localPart = (owner.email ?? '').trim().toLowerCase().split('@')[0].normalize('NFKC');
  if (codePoints(localPart) >= EMAIL_PART_MIN_LENGTH && lower.includes(localPart)) {
    problems.push('The password must not contain your email address');
  }
  const nameWords = (owner.displayName ?? '')
    .normalize('NFKC')
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((word) => codePoints(word) >= NAME_WORD_MIN_LENGTH);
  if (nameWords.some((word) => lower.includes(word))) {
    problems.push('The password must not contain your name');
  }
  return problems;
}
