// Reads a monitoring programme's default amber and red thresholds from its PlanDefinition (profile rpm-threshold-programme).
import type { PlanDefinition } from '@medplum/fhirtypes';
import { readThresholdTargets } from './readThresholdTargets.ts';
import type { MeasureThresholds, ProgrammeThresholds, ThresholdsByKind } from './thresholdTypes.ts';

/**
 * Each `PlanDefinition.goal` is one band of limits: `category` amber or red (CodeSystem rpm-threshold-band), one or
 * more `target`s with a LOINC `measure` and a `detailRange` whose inclusive `low`/`high` are the last acceptable
 * values, and `documentation` citing the clinical source. The limit's source is "<PlanDefinition url>#<goal id>".
 * When two goals give the same band, side and measure, the later goal wins and a warning says so.
 */
export function readProgrammeThresholds(planDefinition: PlanDefinition): ProgrammeThresholds {
  const url = planDefinition.url;
  if (!url) {
    throw new Error(`PlanDefinition/${planDefinition.id}: a programme needs a canonical url`);
  }
  const title = planDefinition.title ?? planDefinition.name ?? url;
  const warnings: string[] = [];
  const thresholds: ThresholdsByKind = {};
  (planDefinition.goal ?? []).forEach((goal, index) => {
    const goalId = goal.id ?? `goal-${index + 1}`;
    const label = `${title}, goal ${goalId}`;
    const citation = goal.documentation?.map((d) => d.citation ?? d.display ?? d.url).find((text) => text);
    for (const target of readThresholdTargets(label, goal.category ? [goal.category] : [], goal.target, warnings)) {
      const measure: MeasureThresholds = (thresholds[target.kind] ??= { kind: target.kind, amber: {}, red: {} });
      const source = { kind: 'programme' as const, reference: `${url}#${goalId}`, ...(citation ? { citation } : {}) };
      for (const side of ['low', 'high'] as const) {
        const value = target[side];
        if (value === undefined) {
          continue;
        }
        if (measure[target.band][side]) {
          warnings.push(`${label}: a second ${target.band} ${side} limit for ${target.kind}; the later one is used`);
        }
        measure[target.band][side] = { value, source };
      }
    }
  });
  return { url, title, thresholds, warnings };
}
