// Reads a programme's escalation policy (extension rpm-escalation-policy on its PlanDefinition) into escalation levels.
import type { Coding, Extension, PlanDefinition } from '@medplum/fhirtypes';
import { ESCALATION_ROLE_SYSTEM, EXTENSIONS, SEVERITIES, type AlertSeverity } from './alertCodes.ts';

/** Who a level escalates to: the holders of a role at the patient's organization, or a named resource. */
export type EscalationTarget = { role: Coding & { code: string } } | { reference: string };

export interface EscalationLevel {
  /** '<severity>-<minutes>min-<role code or reference>': names the level in Task identifiers and on the alert. */
  key: string;
  severity: AlertSeverity;
  /** Minutes after the alert was identified (or last acknowledged at a lower severity). */
  afterMinutes: number;
  target: EscalationTarget;
}

export interface ParsedPolicy {
  levels: EscalationLevel[];
  /** Why levels were left out (the rest of the policy still applies). */
  issues: string[];
}

export const MAX_LEVEL_MINUTES = 24 * 60;

const ROLE_CODE = /^[A-Za-z0-9\-.]{1,64}$/;
const TARGET_REFERENCE = /^(Practitioner|PractitionerRole|CareTeam)\/[A-Za-z0-9\-.]{1,64}$/;

function sub(extension: Extension, url: string): Extension[] {
  return (extension.extension ?? []).filter((e) => e.url === url);
}

function readMinutes(after: Extension | undefined): number | string {
  const duration = after?.valueDuration;
  const value = duration?.value;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    return "'after' must be a Duration with a value of 0 or more";
  }
  if (duration?.system !== 'http://unitsofmeasure.org') {
    return "'after' must be a UCUM Duration (system http://unitsofmeasure.org)";
  }
  const minutes = duration?.code === 'min' ? value : duration?.code === 'h' ? value * 60 : undefined;
  if (minutes === undefined) {
    return "'after' must be in min or h";
  }
  return minutes > MAX_LEVEL_MINUTES ? `'after' must be at most 24 h` : minutes;
}

function readTarget(target: Extension | undefined): EscalationTarget | string {
  const role = target?.valueCodeableConcept?.coding?.find(
    (c) => c.system === ESCALATION_ROLE_SYSTEM && ROLE_CODE.test(c.code ?? '')
  );
  if (role) {
    return {
      role: {
        system: ESCALATION_ROLE_SYSTEM,
        code: role.code as string,
        ...(role.display ? { display: role.display } : {}),
      },
    };
  }
  const reference = target?.valueReference?.reference;
  if (reference && TARGET_REFERENCE.test(reference)) {
    return { reference };
  }
  return "'target' must be a role of rpm-escalation-role or a reference to a Practitioner, PractitionerRole or CareTeam";
}

/** The level's key, e.g. high-15min-on-call-clinician or moderate-60min-CareTeam/123. */
export function levelKey(severity: AlertSeverity, afterMinutes: number, target: EscalationTarget): string {
  const who = 'role' in target ? target.role.code : target.reference;
  return `${severity}-${afterMinutes}min-${who}`;
}

function readLevel(level: Extension): EscalationLevel | string {
  const severities = sub(level, 'severity');
  const afters = sub(level, 'after');
  const targets = sub(level, 'target');
  if (severities.length !== 1 || afters.length !== 1 || targets.length !== 1 || (level.extension ?? []).length !== 3) {
    return "a level needs exactly one 'severity', one 'after' and one 'target'";
  }
  const severity = severities[0].valueCode as AlertSeverity;
  if (!SEVERITIES.includes(severity)) {
    return "'severity' must be high, moderate or low";
  }
  const afterMinutes = readMinutes(afters[0]);
  if (typeof afterMinutes === 'string') {
    return afterMinutes;
  }
  const target = readTarget(targets[0]);
  if (typeof target === 'string') {
    return target;
  }
  return { key: levelKey(severity, afterMinutes, target), severity, afterMinutes, target };
}

/**
 * The levels of the programme's escalation policy, or undefined when the PlanDefinition has none. Invalid levels are
 * left out and reported in `issues` (their severity then falls back to the defaults if no valid level remains);
 * several policy extensions are merged; duplicate levels count once. Levels are sorted by severity, then delay.
 */
export function readEscalationPolicy(plan: PlanDefinition): ParsedPolicy | undefined {
  const policies = (plan.extension ?? []).filter((e) => e.url === EXTENSIONS.escalationPolicy);
  if (policies.length === 0) {
    return undefined;
  }
  const issues: string[] = [];
  const levels = new Map<string, EscalationLevel>();
  if (policies.length > 1) {
    issues.push('more than one rpm-escalation-policy: their levels are merged');
  }
  for (const policy of policies) {
    for (const [index, extension] of (policy.extension ?? []).entries()) {
      if (extension.url === 'documentation') {
        continue;
      }
      if (extension.url !== 'level') {
        issues.push(`unknown sub-extension '${String(extension.url).slice(0, 100)}' ignored`);
        continue;
      }
      const level = readLevel(extension);
      if (typeof level === 'string') {
        issues.push(`level ${index + 1}: ${level}; level ignored`);
      } else {
        levels.set(level.key, level);
      }
    }
  }
  return { levels: sortLevels([...levels.values()]), issues };
}

/** By severity (high first), then delay. */
export function sortLevels(levels: EscalationLevel[]): EscalationLevel[] {
  return [...levels].sort(
    (a, b) => SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity) || a.afterMinutes - b.afterMinutes
  );
}

/** The rpm-escalation-policy extension for these levels (for programmes, examples and tests). */
export function escalationPolicyExtension(levels: readonly EscalationLevel[], documentation?: string): Extension {
  return {
    url: EXTENSIONS.escalationPolicy,
    extension: [
      ...levels.map((level) => ({
        url: 'level',
        extension: [
          { url: 'severity', valueCode: level.severity },
          {
            url: 'after',
            valueDuration: { value: level.afterMinutes, unit: 'min', system: 'http://unitsofmeasure.org', code: 'min' },
          },
          'role' in level.target
            ? { url: 'target', valueCodeableConcept: { coding: [level.target.role] } }
            : { url: 'target', valueReference: { reference: level.target.reference } },
        ],
      })),
      ...(documentation ? [{ url: 'documentation', valueString: documentation }] : []),
    ],
  };
}
