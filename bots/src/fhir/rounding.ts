// Rounds half up (towards +infinity) to a number of decimals, without binary floating-point surprises at the half.

/**
 * Rounds `value` to `decimals` decimal places, halves going up: 35.05 → 35.1, 91.5 → 92, 38.04 → 38.0.
 * Plain `Math.round(value * 10) / 10` would give 35.0 for 35.05, because 35.05 × 10 is 350.49999999999994 in binary
 * floating point; the product is first cleaned to 12 significant digits, far above any measurement's resolution.
 */
export function roundHalfUp(value: number, decimals = 0): number {
  const factor = 10 ** decimals;
  const scaled = Number((value * factor).toPrecision(12));
  return Math.round(scaled) / factor;
}
