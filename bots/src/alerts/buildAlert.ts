// Builds an RPM alert (DetectedIssue, profile rpm-alert) for one breach of one rule by one patient.
import type { CodeableConcept, DetectedIssue, Identifier, Observation } from '@medplum/fhirtypes';
import { CODE_SYSTEMS, EXTENSIONS, IDENTIFIER_SYSTEMS, PROFILES } from '../fhir/codes.ts';
import { patientReference } from '../fhir/references.ts';
import type { PatientLike } from '../fhir/references.ts';
import { observationReference } from '../fhir/vitalSigns.ts';
import { ALERT_RULES } from './alertRules.ts';
import type { AlertRuleCode } from './alertRules.ts';

/**
 * Deduplication: the identifier (system http://rpm-platform.org/fhir/identifier/alert) has the value
 * "<rule key>:<patient reference>", where the rule key is the rule code, followed by "." and a qualifier for rules
 * that keep one alert per vital sign (the LOINC code: "vital-sign-threshold.2708-6:Patient/123"). All of a rule's
 * alerts for a patient share it; the open one has status `preliminary`. So "the open alert of this rule for this
 * patient" is the search `DetectedIssue?identifier=<system>|<value>&status=preliminary`, used for a conditional
 * create, and a new breach while it is open is merged into it (mergeIntoOpenAlert). The value avoids "|", which FHIR
 * search would need escaped.
 */

export type AlertSeverity = 'high' | 'moderate' | 'low';

export interface AlertBreach {
  patient: PatientLike;
  rule: AlertRuleCode;
  /** For rules with one alert per vital sign: the LOINC code. */
  qualifier?: string;
  severity: AlertSeverity;
  /** The readings that breached (DetectedIssue.implicated and evidence.detail); may be empty (a missed reading). */
  observations: readonly Observation[];
  /** What happened, in plain words. */
  explanation: string;
  /** The canonical url of the programme (PlanDefinition) the rule ran under. */
  programme?: string;
  /** When the rule detected the breach (identifiedDateTime). */
  identified: Date;
  /** What the evidence is about, e.g. the LOINC code of the vital sign. */
  evidenceCode?: CodeableConcept;
}

/** red → high, amber → moderate. */
export function severityForLevel(level: 'amber' | 'red'): AlertSeverity {
  return level === 'red' ? 'high' : 'moderate';
}

const RANK: Readonly<Record<AlertSeverity, number>> = { low: 0, moderate: 1, high: 2 };

/** The rank of a severity (low 0, moderate 1, high 2); an absent severity ranks below low. */
export function severityRank(severity: DetectedIssue['severity']): number {
  return severity ? RANK[severity] : -1;
}

/** The identifier shared by a rule's alerts for one patient. */
export function alertIdentifier(rule: AlertRuleCode, patient: PatientLike, qualifier?: string): Identifier {
  if (qualifier !== undefined && !/^[A-Za-z0-9.\-_]+$/.test(qualifier)) {
    throw new Error(`An alert qualifier is letters, digits, ".", "-" or "_", not ${qualifier}`);
  }
  const key = qualifier ? `${rule}.${qualifier}` : rule;
  return { system: IDENTIFIER_SYSTEMS.alert, value: `${key}:${patientReference(patient)}` };
}

/** The FHIR search for the open alert with this identifier (for searchResources and conditional create). */
export function openAlertQuery(identifier: Identifier): string {
  return `identifier=${encodeURIComponent(`${identifier.system}|${identifier.value}`)}&status=preliminary`;
}

/** A new open alert (status preliminary) for `breach`. */
export function buildAlert(breach: AlertBreach): DetectedIssue {
  const rule = ALERT_RULES[breach.rule];
  const references = [...new Set(breach.observations.map(observationReference))].map((reference) => ({ reference }));
  return {
    resourceType: 'DetectedIssue',
    meta: { profile: [PROFILES.alert] },
    extension: [
      { url: EXTENSIONS.alertClinicalSource, valueString: rule.clinicalSource },
      ...(breach.programme ? [{ url: EXTENSIONS.alertProgramme, valueCanonical: breach.programme }] : []),
    ],
    identifier: [alertIdentifier(breach.rule, breach.patient, breach.qualifier)],
    status: 'preliminary',
    code: { coding: [{ system: CODE_SYSTEMS.alertRule, code: rule.code, display: rule.display }], text: rule.display },
    severity: breach.severity,
    patient: { reference: patientReference(breach.patient) },
    identifiedDateTime: breach.identified.toISOString(),
    ...(references.length ? { implicated: references } : {}),
    evidence: [
      {
        code: [{ ...(breach.evidenceCode ?? {}), text: breach.explanation }],
        ...(references.length ? { detail: references } : {}),
      },
    ],
    detail: breach.explanation,
    ...(rule.sourceUrl ? { reference: rule.sourceUrl } : {}),
  };
}
