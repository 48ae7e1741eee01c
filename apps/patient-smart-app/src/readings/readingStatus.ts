// Each reading's values in words, whether it was flagged, and whether the care team has seen it (from alerts).
import type { DetectedIssue, Observation } from '@medplum/fhirtypes';
import { LOINC, MEASURES } from '../bluetooth/vitalSignCodes.ts';
import { vitalOfCodes, type VitalSign } from '../vitals/vitalSigns.ts';

/** DetectedIssue.mitigation.action codes (server/src/alerts/alertCodes.ts). */
const ALERT_ACTION_SYSTEM = 'http://rpm-platform.org/fhir/CodeSystem/rpm-alert-action';
const SEEN_ACTIONS = ['acknowledged', 'resolved'];
/** Observation.interpretation codes (v3 ObservationInterpretation) that mean "outside the usual range". */
const HIGH = ['H', 'HH', 'HU'];
const LOW = ['L', 'LL', 'LU'];
const ABNORMAL = ['A', 'AA', ...HIGH, ...LOW];

export interface Reading {
  id: string;
  vital: VitalSign;
  time: string;
  /** The main number (systolic for a blood pressure), for the chart. */
  value: number;
  /** The diastolic of a blood pressure. */
  value2?: number;
  /** In words with the unit, e.g. "130/85 mmHg". */
  text: string;
  /** Why it is flagged, in words; undefined when it is not. */
  flag?: string;
  /** When a clinician saw it (acknowledged or closed an alert about it); undefined when not known to be seen. */
  seenAt?: string;
  /** Entered by hand (patient-entered) rather than read from a device. */
  enteredByHand: boolean;
}

function codesOf(observation: Observation): string[] {
  return (observation.code?.coding ?? []).filter((c) => c.system === LOINC).map((c) => c.code as string);
}

function componentValue(observation: Observation, loinc: string): number | undefined {
  return observation.component?.find((c) => c.code.coding?.some((coding) => coding.code === loinc))?.valueQuantity
    ?.value;
}

function interpretationFlag(observation: Observation): string | undefined {
  const codes = (observation.interpretation ?? []).flatMap((i) => i.coding ?? []).map((c) => c.code ?? '');
  if (codes.some((c) => HIGH.includes(c))) {
    return 'Higher than it should be';
  }
  if (codes.some((c) => LOW.includes(c))) {
    return 'Lower than it should be';
  }
  return codes.some((c) => ABNORMAL.includes(c)) ? 'Not in the usual range' : undefined;
}

/** The alerts that name a reading (DetectedIssue.implicated), by Observation id. */
function alertsByReading(alerts: readonly DetectedIssue[]): Map<string, DetectedIssue[]> {
  const map = new Map<string, DetectedIssue[]>();
  for (const alert of alerts) {
    for (const ref of alert.implicated ?? []) {
      const id = /(?:^|\/)Observation\/([^/]+)$/.exec(ref.reference ?? '')?.[1];
      if (id) {
        map.set(id, [...(map.get(id) ?? []), alert]);
      }
    }
  }
  return map;
}

/**
 * "Seen by your care team": a clinician acknowledged or resolved an alert that names this reading — a
 * DetectedIssue.mitigation with action `acknowledged` or `resolved` and an author (a person, not the escalation
 * schedule). The earliest such date.
 */
export function seenAt(alerts: readonly DetectedIssue[]): string | undefined {
  const dates = alerts
    .flatMap((alert) => alert.mitigation ?? [])
    .filter(
      (m) =>
        m.author?.reference &&
        m.action?.coding?.some((c) => c.system === ALERT_ACTION_SYSTEM && SEEN_ACTIONS.includes(c.code ?? ''))
    )
    .map((m) => m.date ?? '')
    .filter(Boolean)
    .sort();
  return dates[0];
}

/** The patient's vital-sign readings, newest first, with flags (an alert names them, or their interpretation). */
export function toReadings(observations: readonly Observation[], alerts: readonly DetectedIssue[]): Reading[] {
  const byReading = alertsByReading(alerts);
  const readings: Reading[] = [];
  for (const observation of observations) {
    const vital = vitalOfCodes(codesOf(observation));
    const time = observation.effectiveDateTime ?? observation.effectiveInstant;
    if (!vital || !time || !observation.id) {
      continue;
    }
    const isPanel = vital.key === 'blood-pressure';
    const value = isPanel ? componentValue(observation, MEASURES.systolic.loinc) : observation.valueQuantity?.value;
    const value2 = isPanel ? componentValue(observation, MEASURES.diastolic.loinc) : undefined;
    if (value === undefined) {
      continue;
    }
    const unit = vital.fields[0].unit;
    const named = byReading.get(observation.id) ?? [];
    const alertFlag = named.length ? 'Your care team was told about this reading' : undefined;
    readings.push({
      id: observation.id,
      vital,
      time,
      value,
      value2,
      text: isPanel ? `${value}/${value2 ?? '?'} ${unit}` : `${value} ${unit}`,
      flag: [interpretationFlag(observation), alertFlag].filter(Boolean).join('. ') || undefined,
      seenAt: seenAt(named),
      enteredByHand: (observation.method?.coding ?? []).some((c) => c.code === 'patient-entered'),
    });
  }
  return readings.sort((a, b) => b.time.localeCompare(a.time));
}
