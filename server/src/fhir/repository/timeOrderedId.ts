// Time-ordered UUIDs (RFC 9562 version 7) for resource and version ids, so new index entries land at the end of btrees.
import { randomFillSync } from 'node:crypto';

const random = Buffer.alloc(4096);
let offset = random.length;

function randomBytes10(): Buffer {
  if (offset + 10 > random.length) {
    randomFillSync(random);
    offset = 0;
  }
  const out = random.subarray(offset, offset + 10);
  offset += 10;
  return out;
}

/** A UUIDv7: 48-bit Unix milliseconds, then 74 random bits; sorts by creation time, unguessable like v4. */
export function timeOrderedId(now: number = Date.now()): string {
  const bytes = Buffer.alloc(16);
  bytes.writeUIntBE(now, 0, 6);
  randomBytes10().copy(bytes, 6);
  bytes[6] = 0x70 | (bytes[6] & 0x0f); // version 7
  bytes[8] = 0x80 | (bytes[8] & 0x3f); // RFC 9562 variant
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
