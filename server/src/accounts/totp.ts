// TOTP one-time codes (RFC 6238: HMAC-SHA-1, 6 digits, 30 s steps) on node:crypto, and the otpauth URI and QR code
// that put a secret into an authenticator app.
import crypto from 'node:crypto';
import QRCode from 'qrcode';
import { base32Decode, base32Encode } from './base32.ts';

/** Seconds per time step (RFC 6238 X). */
export const TOTP_STEP_SECONDS = 30;
/** Digits in a code. */
export const TOTP_DIGITS = 6;
/** Steps accepted either side of the current one, for clock drift and slow typing. */
export const TOTP_WINDOW = 1;
/** The issuer name authenticator apps show next to the account. */
export const TOTP_ISSUER = 'RPM';
/** Secret size: 160 bits, the HMAC-SHA-1 block-friendly length RFC 4226 recommends. */
const SECRET_BYTES = 20;

/** A new random secret, base32-encoded (what the authenticator app is given and what is stored). */
export function generateTotpSecret(): string {
  return base32Encode(crypto.randomBytes(SECRET_BYTES));
}

/** The time step a moment falls in (T = floor(unix seconds / 30)). */
export function totpStepAt(timeMs: number): number {
  return Math.floor(timeMs / 1000 / TOTP_STEP_SECONDS);
}

/** RFC 4226 HOTP: the `digits`-digit code for a counter value, with dynamic truncation. */
export function hotp(key: Uint8Array, counter: number, digits: number = TOTP_DIGITS): string {
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const mac = crypto.createHmac('sha1', key).update(message).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const binary = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(binary % 10 ** digits).padStart(digits, '0');
}

/** The code of a base32 secret for a time step. */
export function totpCode(secret: string, step: number, digits: number = TOTP_DIGITS): string {
  const key = base32Decode(secret);
  if (!key || key.length === 0) {
    throw new Error('Invalid TOTP secret');
  }
  return hotp(key, step, digits);
}

/** Digits only, spaces removed ("123 456" is how some apps show codes); undefined when not a 6-digit code. */
export function normalizeTotpCode(code: unknown): string | undefined {
  if (typeof code !== 'string') {
    return undefined;
  }
  const digits = code.replace(/\s/g, '');
  return new RegExp(`^\\d{${TOTP_DIGITS}}$`).test(digits) ? digits : undefined;
}

export interface TotpMatchOptions {
  /** Defaults to Date.now(). */
  nowMs?: number;
  /** The last step already used: codes for it or any earlier step are refused (replay protection). */
  lastStep?: number | null;
}

/**
 * The time step whose code `code` is, within ±TOTP_WINDOW steps of now and after `lastStep`; undefined when it
 * matches none. Every candidate is compared in constant time.
 */
export function matchTotpStep(secret: string, code: unknown, options: TotpMatchOptions = {}): number | undefined {
  const given = normalizeTotpCode(code);
  if (!given) {
    return undefined;
  }
  const current = totpStepAt(options.nowMs ?? Date.now());
  const lastStep = options.lastStep ?? -1;
  let matched: number | undefined;
  for (let step = current - TOTP_WINDOW; step <= current + TOTP_WINDOW; step++) {
    const expected = totpCode(secret, step);
    const equal = crypto.timingSafeEqual(Buffer.from(expected), Buffer.from(given));
    if (equal && step > lastStep) {
      matched = step;
    }
  }
  return matched;
}

/** The Key URI an authenticator app reads: otpauth://totp/RPM:<account>?secret=…&issuer=RPM&… */
export function totpUri(secret: string, accountName: string): string {
  const label = `${encodeURIComponent(TOTP_ISSUER)}:${encodeURIComponent(accountName)}`;
  const query = new URLSearchParams({
    secret,
    issuer: TOTP_ISSUER,
    algorithm: 'SHA1',
    digits: String(TOTP_DIGITS),
    period: String(TOTP_STEP_SECONDS),
  });
  return `otpauth://totp/${label}?${query.toString()}`;
}

/** A QR code of `uri` as a self-contained inline SVG string (no external assets), for the enrolment page. */
export async function totpQrSvg(uri: string): Promise<string> {
  return QRCode.toString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
}
