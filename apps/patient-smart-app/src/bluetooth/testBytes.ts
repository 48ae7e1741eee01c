// Test helper: "1E 8A 00" → the bytes a characteristic notification carries.

export function hex(text: string): Uint8Array {
  const bytes = text.trim().split(/\s+/);
  return Uint8Array.from(bytes.map((byte) => parseInt(byte, 16)));
}
