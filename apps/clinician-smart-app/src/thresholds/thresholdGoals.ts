// A patient's threshold overrides as Goals (profile rpm-threshold-goal): which one is in force, validating and building one.
import type { Bundle, CarePlan, Goal } from '@medplum/fhirtypes';
import { MEASURES, type VitalSignKind as RuleKind } from '../../../../bots/src/fhir/vitalSigns.ts';
import { readBand, readThresholdTargets } from '../../../../bots/src/rules/thresholds/readThresholdTargets.ts';
import type {
  EffectiveThresholds,
  LimitSide,
  ThresholdBand,
} from '../../../../bots/src/rules/thresholds/thresholdTypes.ts';
import { LOINC } from '../fhir/codes.ts';
import { formatLimit } from './thresholdBands.ts';

export const THRESHOLD_GOAL_PROFILE = 'http://rpm-platform.org/fhir/StructureDefinition/rpm-threshold-goal';
export const THRESHOLD_BAND_SYSTEM = 'http://rpm-platform.org/fhir/CodeSystem/rpm-threshold-band';
const UCUM = 'http://unitsofmeasure.org';

/** The measures a clinician sets limits for, in the order shown, with the unit limits are entered in. */
export const EDITABLE_MEASURES: readonly {
  kind: RuleKind;
  label: string;
  unitLabel: string;
  min: number;
  max: number;
}[] = [
  { kind: 'spo2', label: 'Oxygen saturation', unitLabel: '%', min: 50, max: 100 },
  { kind: 'heartRate', label: 'Pulse', unitLabel: 'beats/min', min: 20, max: 250 },
  { kind: 'systolic', label: 'Systolic blood pressure', unitLabel: 'mmHg', min: 50, max: 260 },
  { kind: 'diastolic', label: 'Diastolic blood pressure', unitLabel: 'mmHg', min: 20, max: 160 },
  { kind: 'respiratoryRate', label: 'Respiratory rate', unitLabel: 'breaths/min', min: 4, max: 60 },
  { kind: 'bodyTemperature', label: 'Temperature', unitLabel: '°C', min: 30, max: 44 },
  { kind: 'bodyWeight', label: 'Weight', unitLabel: 'kg', min: 20, max: 300 },
];

export const BAND_WORDS: Readonly<Record<ThresholdBand, string>> = { amber: 'Amber', red: 'Red' };

/** The measure and band a Goal overrides (one target: rpm-tg-2), if it is a threshold Goal. */
export function goalSubjectOf(goal: Goal): { kind: RuleKind; band: ThresholdBand } | undefined {
  const band = readBand(goal.category);
  const code = goal.target?.[0]?.measure?.coding?.find((c) => c.system === LOINC)?.code;
  const kind = Object.values(MEASURES).find((m) => m.codes.includes(code ?? ''))?.kind;
  return band && kind ? { kind, band } : undefined;
}

/** The active override of this measure and band (the most recently changed, as the bots pick it). */
export function activeOverride<T extends Goal>(
  goals: readonly T[],
  kind: RuleKind,
  band: ThresholdBand
): T | undefined {
  return goals
    .filter((g) => g.lifecycleStatus === 'active')
    .filter((g) => {
      const subject = goalSubjectOf(g);
      return subject?.kind === kind && subject.band === band;
    })
    .sort((a, b) => ((a.meta?.lastUpdated ?? '') < (b.meta?.lastUpdated ?? '') ? 1 : -1))[0];
}

/** The limits a Goal gives, in the measure's unit (converted as the bots convert them). */
export function goalLimits(goal: Goal): { low?: number; high?: number } {
  const target = readThresholdTargets('Goal', goal.category, goal.target, [])[0];
  return target ? { low: target.low, high: target.high } : {};
}

export interface LimitInput {
  low: string;
  high: string;
}

export interface ValidLimits {
  low?: number;
  high?: number;
}

/**
 * Checks what the clinician typed before anything is sent: numbers (a decimal comma is accepted), within what the
 * measure can be, at least one side, low below high, and not outside the other band's limits (an amber limit outside
 * its red limit would never alert). Errors are per field, in words; the input is never changed.
 */
export function validateLimits(
  input: LimitInput,
  kind: RuleKind,
  band: ThresholdBand,
  effective: EffectiveThresholds
): { limits?: ValidLimits; errors: Partial<Record<LimitSide | 'form', string>> } {
  const measure = EDITABLE_MEASURES.find((m) => m.kind === kind);
  if (!measure) {
    return { errors: { form: 'Limits cannot be set for this measure.' } };
  }
  const errors: Partial<Record<LimitSide | 'form', string>> = {};
  const parse = (side: LimitSide): number | undefined => {
    const text = input[side].trim().replace(',', '.');
    if (!text) {
      return undefined;
    }
    const value = /^-?\d+(\.\d+)?$/.test(text) ? Number(text) : NaN;
    if (Number.isNaN(value)) {
      errors[side] =
        `Enter a number in ${measure.unitLabel}, for example ${measure.min + Math.round((measure.max - measure.min) / 2)}.`;
    } else if (value < measure.min || value > measure.max) {
      errors[side] = `Enter a value between ${measure.min} and ${measure.max} ${measure.unitLabel}.`;
    }
    return value;
  };
  const low = parse('low');
  const high = parse('high');
  if (errors.low || errors.high) {
    return { errors };
  }
  if (low === undefined && high === undefined) {
    return { errors: { form: 'Enter a low limit, a high limit or both.' } };
  }
  if (low !== undefined && high !== undefined && low >= high) {
    return { errors: { high: `The high limit must be above the low limit (${input.low.trim()}).` } };
  }
  const other = effective.thresholds[kind]?.[band === 'amber' ? 'red' : 'amber'];
  const unit = measure.unitLabel;
  if (band === 'amber') {
    if (low !== undefined && other?.low && low < other.low.value) {
      errors.low = `An amber low limit must not be below the red low limit (${formatLimit(kind, other.low.value)} ${unit}).`;
    }
    if (high !== undefined && other?.high && high > other.high.value) {
      errors.high = `An amber high limit must not be above the red high limit (${formatLimit(kind, other.high.value)} ${unit}).`;
    }
  } else {
    if (low !== undefined && other?.low && low > other.low.value) {
      errors.low = `A red low limit must not be above the amber low limit (${formatLimit(kind, other.low.value)} ${unit}).`;
    }
    if (high !== undefined && other?.high && high < other.high.value) {
      errors.high = `A red high limit must not be below the amber high limit (${formatLimit(kind, other.high.value)} ${unit}).`;
    }
  }
  return Object.keys(errors).length ? { errors } : { limits: { low, high }, errors: {} };
}

/** A new version of the override (or a new one): the band, the measure's LOINC code and UCUM unit, who set it. */
export function overrideGoal(args: {
  patientId: string;
  kind: RuleKind;
  band: ThresholdBand;
  limits: ValidLimits;
  expressedBy: { reference: string; display?: string };
  reason?: string;
  today: string;
  existing?: Goal;
}): Goal {
  const { kind, band, limits } = args;
  const measure = MEASURES[kind];
  const label = EDITABLE_MEASURES.find((m) => m.kind === kind)?.label ?? measure.label;
  const quantity = (value: number) => ({ value, unit: measure.unitLabel.trim(), system: UCUM, code: measure.unit });
  const sides = [
    limits.low !== undefined ? `below ${formatLimit(kind, limits.low)}` : undefined,
    limits.high !== undefined ? `above ${formatLimit(kind, limits.high)}` : undefined,
  ].filter(Boolean);
  return {
    ...(args.existing ?? {}),
    resourceType: 'Goal',
    meta: { ...(args.existing?.meta ?? {}), profile: [THRESHOLD_GOAL_PROFILE] },
    lifecycleStatus: 'active',
    statusDate: args.today,
    startDate: args.existing?.startDate ?? args.today,
    category: [{ coding: [{ system: THRESHOLD_BAND_SYSTEM, code: band, display: BAND_WORDS[band] }] }],
    description: {
      text: `${label} ${band}: a reading ${sides.join(' or ')} ${measure.unitLabel.trim()} alerts ${band} (patient-specific limit)${args.reason ? `: ${args.reason}` : ''}`,
    },
    subject: { reference: `Patient/${args.patientId}` },
    target: [
      {
        measure: { coding: [{ system: LOINC, code: measure.codes[0], display: label }] },
        detailRange: {
          ...(limits.low !== undefined ? { low: quantity(limits.low) } : {}),
          ...(limits.high !== undefined ? { high: quantity(limits.high) } : {}),
        },
      },
    ],
    expressedBy: args.expressedBy,
  };
}

/** The override withdrawn: lifecycleStatus `cancelled` (it stays in the history and in the CarePlan's list). */
export function retiredGoal(goal: Goal, expressedBy: { reference: string; display?: string }, today: string): Goal {
  return { ...goal, lifecycleStatus: 'cancelled', statusDate: today, expressedBy };
}

/**
 * One transaction (all or nothing): the Goal created or updated (If-Match on the version shown), and the CarePlan
 * updated to list a new Goal in `goal` (If-Match too), which is where the alert bots look for overrides.
 */
export function saveOverrideBundle(goal: Goal, carePlan: CarePlan): Bundle {
  const goalUrl = goal.id ? `Goal/${goal.id}` : `urn:uuid:${crypto.randomUUID()}`;
  const entries: Bundle['entry'] = [
    {
      fullUrl: goal.id ? undefined : goalUrl,
      resource: goal,
      request: goal.id
        ? { method: 'PUT', url: goalUrl, ...(goal.meta?.versionId ? { ifMatch: `W/"${goal.meta.versionId}"` } : {}) }
        : { method: 'POST', url: 'Goal' },
    },
  ];
  const listed = (carePlan.goal ?? []).some((g) => g.reference === goalUrl);
  if (!listed) {
    entries.push({
      resource: { ...carePlan, goal: [...(carePlan.goal ?? []), { reference: goalUrl }] },
      request: {
        method: 'PUT',
        url: `CarePlan/${carePlan.id}`,
        ...(carePlan.meta?.versionId ? { ifMatch: `W/"${carePlan.meta.versionId}"` } : {}),
      },
    });
  }
  return { resourceType: 'Bundle', type: 'transaction', entry: entries };
}

/** "Amber pulse: below 45, above 110 beats/min (active)", for the history of changes. */
export function describeGoalVersion(goal: Goal): string {
  const subject = goalSubjectOf(goal);
  if (!subject) {
    return goal.description?.text ?? 'Goal';
  }
  const measure = EDITABLE_MEASURES.find((m) => m.kind === subject.kind);
  const { low, high } = goalLimits(goal);
  const sides = [
    low !== undefined ? `below ${formatLimit(subject.kind, low)}` : undefined,
    high !== undefined ? `above ${formatLimit(subject.kind, high)}` : undefined,
  ].filter(Boolean);
  const status = goal.lifecycleStatus === 'active' ? 'in force' : `withdrawn (${goal.lifecycleStatus})`;
  return `${BAND_WORDS[subject.band]} ${measure?.label.toLowerCase() ?? subject.kind}: alerts ${sides.join(' or ') || 'with no limit'} ${measure?.unitLabel ?? ''} — ${status}`;
}
