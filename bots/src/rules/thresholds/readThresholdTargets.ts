// Reads amber/red limits from goal targets (PlanDefinition.goal or Goal): the band, the vital sign and its Range.
import type { CodeableConcept, Quantity, Range } from '@medplum/fhirtypes';
import { CODE_SYSTEMS, LOINC } from '../../fhir/codes.ts';
import { convertQuantity, kindOfCode, MEASURES } from '../../fhir/vitalSigns.ts';
import type { VitalSignKind } from '../../fhir/vitalSigns.ts';
import type { LimitSide, ThresholdBand } from './thresholdTypes.ts';

/** One usable target: the band's acceptable range for one vital sign, in the measure's canonical unit. */
export interface ThresholdTarget {
  band: ThresholdBand;
  kind: VitalSignKind;
  low?: number;
  high?: number;
}

/** The band of a goal's category (CodeSystem rpm-threshold-band), if it has one. */
export function readBand(categories: readonly CodeableConcept[] | undefined): ThresholdBand | undefined {
  for (const category of categories ?? []) {
    for (const coding of category.coding ?? []) {
      if (coding.system === CODE_SYSTEMS.thresholdBand && (coding.code === 'amber' || coding.code === 'red')) {
        return coding.code;
      }
    }
  }
  return undefined;
}

function measureKind(measure: CodeableConcept | undefined): VitalSignKind | undefined {
  for (const coding of measure?.coding ?? []) {
    const kind = coding.system === LOINC && coding.code ? kindOfCode(coding.code) : undefined;
    if (kind) {
      return kind;
    }
  }
  return undefined;
}

function side(kind: VitalSignKind, quantity: Quantity | undefined, name: LimitSide, warn: (m: string) => void) {
  if (quantity === undefined) {
    return undefined;
  }
  const value = convertQuantity(kind, quantity);
  if (value === undefined) {
    warn(
      `its ${name} limit ${quantity.value} ${quantity.code ?? quantity.unit ?? ''} is not in a unit of ${MEASURES[kind].unit}`
    );
  }
  return value;
}

/**
 * The usable targets of one goal with `categories` (the band) and `targets` (measure + detailRange). Targets without a
 * known band, a known vital-sign measure or a Range with a limit in a unit that fits are left out, with a warning
 * naming `label`.
 */
export function readThresholdTargets(
  label: string,
  categories: readonly CodeableConcept[] | undefined,
  targets: readonly { measure?: CodeableConcept; detailRange?: Range }[] | undefined,
  warnings: string[]
): ThresholdTarget[] {
  const band = readBand(categories);
  if (!band) {
    warnings.push(`${label}: no threshold band (amber or red) in its category; ignored`);
    return [];
  }
  const found: ThresholdTarget[] = [];
  for (const target of targets ?? []) {
    const kind = measureKind(target.measure);
    if (!kind) {
      warnings.push(`${label}: a target measure that is not a known vital-sign LOINC code; ignored`);
      continue;
    }
    const warn = (message: string): void => {
      warnings.push(`${label}: ${message}; that limit is ignored`);
    };
    const low = side(kind, target.detailRange?.low, 'low', warn);
    const high = side(kind, target.detailRange?.high, 'high', warn);
    if (low === undefined && high === undefined) {
      warnings.push(`${label}: a ${MEASURES[kind].label} target without a usable low or high limit; ignored`);
      continue;
    }
    found.push({ band, kind, ...(low !== undefined ? { low } : {}), ...(high !== undefined ? { high } : {}) });
  }
  return found;
}
