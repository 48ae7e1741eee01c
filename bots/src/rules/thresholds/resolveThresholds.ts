// The thresholds in force for one patient: the programme's defaults with the patient's clinician-set overrides applied.
import type { Goal, PlanDefinition } from '@medplum/fhirtypes';
import { MEASURES } from '../../fhir/vitalSigns.ts';
import { readProgrammeThresholds } from './readProgrammeThresholds.ts';
import { readThresholdTargets } from './readThresholdTargets.ts';
import type { EffectiveThresholds, ProgrammeThresholds, ThresholdsByKind } from './thresholdTypes.ts';

/**
 * Overrides are Goals (profile rpm-threshold-goal) with lifecycleStatus `active`, a band category (amber or red) and
 * a target (LOINC measure + detailRange). Each limit a Goal gives replaces the programme's limit for the same
 * measure, band and side; a side the Goal leaves empty keeps the programme's limit (an override can move a limit,
 * never silently remove one). When several active Goals set the same limit, the most recently changed one wins
 * (meta.lastUpdated, else statusDate, else startDate) and a warning says so. Goals that are not active are ignored.
 *
 * Warnings are also raised when an amber limit lies outside its red limit (that amber side can then never fire).
 */
export function resolveThresholds(
  programme: PlanDefinition | ProgrammeThresholds,
  overrides: readonly Goal[] = []
): EffectiveThresholds {
  const base = 'resourceType' in programme ? readProgrammeThresholds(programme) : programme;
  const thresholds: ThresholdsByKind = structuredClone(base.thresholds);
  const warnings = [...base.warnings];
  const setBy = new Map<string, string>();

  const active = overrides
    .filter((goal) => goal.lifecycleStatus === 'active')
    .map((goal) => ({ goal, changed: goal.meta?.lastUpdated ?? goal.statusDate ?? goal.startDate ?? '' }))
    .sort((a, b) => (a.changed < b.changed ? -1 : a.changed > b.changed ? 1 : 0));

  for (const { goal } of active) {
    const reference = `Goal/${goal.id ?? '(no id)'}`;
    const citation = goal.description?.text;
    for (const target of readThresholdTargets(reference, goal.category, goal.target, warnings)) {
      const measure = (thresholds[target.kind] ??= { kind: target.kind, amber: {}, red: {} });
      for (const side of ['low', 'high'] as const) {
        const value = target[side];
        if (value === undefined) {
          continue;
        }
        const key = `${target.kind}/${target.band}/${side}`;
        const previous = setBy.get(key);
        if (previous) {
          warnings.push(`${reference} replaces ${previous} for the ${target.band} ${side} limit of ${target.kind}`);
        }
        setBy.set(key, reference);
        measure[target.band][side] = {
          value,
          source: { kind: 'patient', reference, ...(citation ? { citation } : {}) },
        };
      }
    }
  }

  for (const measure of Object.values(thresholds)) {
    const label = MEASURES[measure.kind].label;
    const { amber, red } = measure;
    if (amber.low && red.low && amber.low.value < red.low.value) {
      warnings.push(`${label}: the amber low limit ${amber.low.value} is below the red low limit ${red.low.value}`);
    }
    if (amber.high && red.high && amber.high.value > red.high.value) {
      warnings.push(`${label}: the amber high limit ${amber.high.value} is above the red high limit ${red.high.value}`);
    }
  }
  return { programme: { url: base.url, title: base.title }, thresholds, warnings };
}
