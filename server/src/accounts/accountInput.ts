// Checks on what an account is made of: email address, role, and the FHIR resource the role must link to.
import type { AccountRole } from '../auth/authenticate.ts';

export const ACCOUNT_ROLES: readonly AccountRole[] = ['clinician', 'patient', 'carer', 'admin'];

/** The FHIR resource type an account of each role stands for (admins are Practitioners too). */
export const FHIR_USER_TYPE: Readonly<Record<AccountRole, string>> = {
  clinician: 'Practitioner',
  admin: 'Practitioner',
  patient: 'Patient',
  carer: 'RelatedPerson',
};

/** RFC 5321 limit on a whole address. */
const EMAIL_MAX_LENGTH = 254;
/** Deliberately loose: one '@', something on each side, a dot in the domain, no spaces. Delivery proves the rest. */
const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@.]+$/;
const FHIR_USER_PATTERN = /^(Practitioner|Patient|RelatedPerson)\/([A-Za-z0-9\-.]{1,64})$/;
export const DISPLAY_NAME_MAX_LENGTH = 200;

export function isAccountRole(value: unknown): value is AccountRole {
  return typeof value === 'string' && (ACCOUNT_ROLES as readonly string[]).includes(value);
}

/** The stored form of an email address (trimmed, lower-cased), or undefined when it is not one. */
export function normalizeEmail(email: unknown): string | undefined {
  if (typeof email !== 'string') {
    return undefined;
  }
  const normalized = email.trim().toLowerCase();
  return normalized.length <= EMAIL_MAX_LENGTH && EMAIL_PATTERN.test(normalized) ? normalized : undefined;
}

/** The resource type and id of a fhirUser reference ('Patient/123'), or undefined when it is not one we link to. */
export function parseFhirUser(fhirUser: unknown): { resourceType: string; id: string } | undefined {
  const match = typeof fhirUser === 'string' ? FHIR_USER_PATTERN.exec(fhirUser) : null;
  return match ? { resourceType: match[1], id: match[2] } : undefined;
}

/** Why `fhirUser` cannot be the resource of an account with `role`, or undefined when it can. */
export function fhirUserProblem(role: AccountRole, fhirUser: unknown): string | undefined {
  const expected = FHIR_USER_TYPE[role];
  const parsed = parseFhirUser(fhirUser);
  if (!parsed) {
    return `fhirUser must be a reference such as '${expected}/<id>'`;
  }
  if (parsed.resourceType !== expected) {
    return `A ${role} account must link to a ${expected}, not a ${parsed.resourceType}`;
  }
  return undefined;
}
