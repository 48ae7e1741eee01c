// Refuses vital-sign readings no living patient or working device can produce, and readings taken in the future.
import { OperationOutcomeError } from '@medplum/core';
import type { Observation, Quantity, Resource } from '@medplum/fhirtypes';

const LOINC = 'http://loinc.org';
const UCUM = 'http://unitsofmeasure.org';

/** A reading's clock may run this far ahead of the server's (unsynchronised devices) before it is "in the future". */
export const FUTURE_TOLERANCE_MS = 5 * 60_000;

/**
 * Limits outside which a value is a device or entry fault, not a patient's state: far wider than any alert threshold,
 * so that an extreme but real reading (SpO2 60 %, heart rate 30) is stored and alerts. By LOINC code, then UCUM unit;
 * a unit not listed here is not judged (stored as sent).
 */
const LIMITS: Readonly<Record<string, { label: string; units: Readonly<Record<string, [number, number]>> }>> = {
  '8867-4': { label: 'Heart rate', units: { '/min': [1, 350] } },
  '9279-1': { label: 'Respiratory rate', units: { '/min': [1, 120] } },
  '2708-6': { label: 'SpO2', units: { '%': [1, 100] } },
  '59408-5': { label: 'SpO2', units: { '%': [1, 100] } },
  '8310-5': { label: 'Body temperature', units: { Cel: [25, 46], '[degF]': [77, 115] } },
  '29463-7': { label: 'Body weight', units: { kg: [0.2, 700], g: [200, 700_000], '[lb_av]': [0.5, 1550] } },
  '8480-6': { label: 'Systolic blood pressure', units: { 'mm[Hg]': [20, 350] } },
  '8462-4': { label: 'Diastolic blood pressure', units: { 'mm[Hg]': [5, 300] } },
  '2339-0': { label: 'Blood glucose', units: { 'mg/dL': [5, 2000], 'mmol/L': [0.3, 110] } },
};

/** 422 with the reason when a vital-sign Observation cannot be true; any other resource passes. */
export function assertPlausibleReading(resource: Resource, now = Date.now()): void {
  if (resource.resourceType !== 'Observation') {
    return;
  }
  const observation = resource as Observation;
  const problem = futureProblem(observation, now) ?? valueProblem(observation);
  if (problem) {
    throw new OperationOutcomeError({
      resourceType: 'OperationOutcome',
      id: 'http-422',
      issue: [{ severity: 'error', code: 'business-rule', details: { text: problem.text }, expression: [problem.at] }],
    });
  }
}

function futureProblem(observation: Observation, now: number): { text: string; at: string } | undefined {
  const times: [string, string | undefined][] = [
    ['Observation.effectiveDateTime', observation.effectiveDateTime],
    ['Observation.effectiveInstant', observation.effectiveInstant],
    ['Observation.effectivePeriod.start', observation.effectivePeriod?.start],
  ];
  for (const [at, value] of times) {
    const time = value ? Date.parse(value) : NaN;
    if (time > now + FUTURE_TOLERANCE_MS) {
      return {
        at,
        text: `The reading is dated ${value}, in the future (the server's time is ${new Date(now).toISOString()}): check the device's clock`,
      };
    }
  }
  return undefined;
}

function valueProblem(observation: Observation): { text: string; at: string } | undefined {
  const own = quantityProblem(observation.code?.coding, observation.valueQuantity, 'Observation.valueQuantity.value');
  if (own) {
    return own;
  }
  for (const [i, component] of (observation.component ?? []).entries()) {
    const found = quantityProblem(
      component.code?.coding,
      component.valueQuantity,
      `Observation.component[${i}].valueQuantity.value`
    );
    if (found) {
      return found;
    }
  }
  return undefined;
}

function quantityProblem(
  codings: { system?: string; code?: string }[] | undefined,
  quantity: Quantity | undefined,
  at: string
): { text: string; at: string } | undefined {
  if (quantity?.value === undefined || (quantity.system !== undefined && quantity.system !== UCUM)) {
    return undefined;
  }
  const unit = quantity.code ?? quantity.unit ?? '';
  for (const coding of codings ?? []) {
    const limits = coding.system === LOINC && coding.code ? LIMITS[coding.code] : undefined;
    const range = limits?.units[unit];
    if (limits && range && (quantity.value < range[0] || quantity.value > range[1])) {
      return {
        at,
        text: `${limits.label} ${quantity.value} ${unit} is outside what a patient or a working device can produce (${range[0]}–${range[1]} ${unit}): check the device or the entry`,
      };
    }
  }
  return undefined;
}
