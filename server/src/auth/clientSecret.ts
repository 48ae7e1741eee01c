// Client secrets are stored as salted scrypt hashes ("scrypt$salt$hash") and compared in constant time.
import crypto from 'node:crypto';
import { promisify } from 'node:util';

const scrypt = promisify(crypto.scrypt) as (password: string, salt: Buffer, keylen: number) => Promise<Buffer>;

const PREFIX = 'scrypt';
const KEY_LENGTH = 32;

export async function hashClientSecret(secret: string): Promise<string> {
  const salt = crypto.randomBytes(16);
  const hash = await scrypt(secret, salt, KEY_LENGTH);
  return [PREFIX, salt.toString('base64url'), hash.toString('base64url')].join('$');
}

/** True when `secret` matches the stored hash; false for any other stored value (never compares plain text). */
export async function verifyClientSecret(secret: string, stored: unknown): Promise<boolean> {
  if (typeof secret !== 'string' || typeof stored !== 'string') {
    return false;
  }
  const [prefix, salt, hash, ...rest] = stored.split('$');
  if (prefix !== PREFIX || !salt || !hash || rest.length > 0) {
    return false;
  }
  const expected = Buffer.from(hash, 'base64url');
  if (expected.length !== KEY_LENGTH) {
    return false;
  }
  const actual = await scrypt(secret, Buffer.from(salt, 'base64url'), KEY_LENGTH);
  return crypto.timingSafeEqual(actual, expected);
}
