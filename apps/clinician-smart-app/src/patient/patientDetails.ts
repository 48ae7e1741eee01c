// A patient's details as a clinician reads them: name, NHS number in 3-3-4 groups, age in years.
import type { Patient } from '@medplum/fhirtypes';
import { NHS_NUMBER_SYSTEM } from '../fhir/codes.ts';

/** "Given Family" of the patient's first name, or its text, or the id. */
export function displayName(patient: Patient): string {
  const name = patient.name?.[0];
  return [name?.given?.join(' '), name?.family].filter(Boolean).join(' ') || name?.text || patient.id || 'Unnamed';
}

/** The NHS number as it is written: "943 476 5919" (digits only, 3-3-4); another value is returned as it is. */
export function formatNhsNumber(value: string): string {
  const digits = value.replace(/\s/g, '');
  return /^\d{10}$/.test(digits) ? `${digits.slice(0, 3)} ${digits.slice(3, 6)} ${digits.slice(6)}` : value;
}

/** The patient's NHS number (identifier system https://fhir.nhs.uk/Id/nhs-number), formatted. */
export function nhsNumber(patient: Patient): string | undefined {
  const value = patient.identifier?.find((i) => i.system === NHS_NUMBER_SYSTEM)?.value;
  return value ? formatNhsNumber(value) : undefined;
}

/** Whole years between the birth date and `now`; undefined without a usable birth date. */
export function ageInYears(birthDate: string | undefined, now: Date): number | undefined {
  const match = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$/.exec(birthDate ?? '');
  if (!match) {
    return undefined;
  }
  const [year, month, day] = [Number(match[1]), Number(match[2] ?? 1), Number(match[3] ?? 1)];
  let age = now.getUTCFullYear() - year;
  if (now.getUTCMonth() + 1 < month || (now.getUTCMonth() + 1 === month && now.getUTCDate() < day)) {
    age--;
  }
  return age;
}
