// Patients as the signed-in user may see them, through the same access rules as the FHIR API (for launch context).
import { getDisplayString, OperationOutcomeError, type SearchRequest } from '@medplum/core';
import type { Patient, RelatedPerson } from '@medplum/fhirtypes';
import type { Db } from '../../db/pool.ts';
import { PostgresRepository } from '../../fhir/repository/postgresRepository.ts';
import type { AccountRole, Caller } from '../authenticate.ts';
import type { PatientChoice } from './pages.ts';

export interface SignedInUser {
  accountId: string;
  clientId: string;
  role: AccountRole;
  /** 'Practitioner/…', 'Patient/…' or 'RelatedPerson/…'. */
  fhirUser: string;
}

const NHS_NUMBER = 'https://fhir.nhs.uk/Id/nhs-number';

/** A repository acting as the user with read access to the directory, so that only patients in reach are found. */
function repositoryAs(db: Db, fhirBaseUrl: string, user: SignedInUser): PostgresRepository {
  const caller: Caller = {
    clientId: user.clientId,
    subject: user.accountId,
    role: user.role,
    fhirUser: user.fhirUser,
    scopes: ['user/Patient.rs', 'user/RelatedPerson.rs'],
    expiresAt: Math.floor(Date.now() / 1000) + 60,
  };
  return new PostgresRepository(db, { fhirBaseUrl, caller });
}

function choiceOf(patient: Patient): PatientChoice {
  const nhs = patient.identifier?.find((i) => i.system === NHS_NUMBER)?.value;
  const parts = [patient.birthDate ? `Born ${patient.birthDate}` : undefined, nhs ? `NHS number ${nhs}` : undefined];
  return { id: patient.id as string, name: getDisplayString(patient), detail: parts.filter(Boolean).join(' · ') };
}

/** The patient, if the user may see them; undefined when missing or out of reach (both look the same). */
export async function findPatientInReach(
  db: Db,
  fhirBaseUrl: string,
  user: SignedInUser,
  patientId: string
): Promise<PatientChoice | undefined> {
  try {
    return choiceOf(await repositoryAs(db, fhirBaseUrl, user).readResource<Patient>('Patient', patientId));
  } catch (err) {
    if (err instanceof OperationOutcomeError) {
      return undefined;
    }
    throw err;
  }
}

/** Up to 20 patients in reach matching a name or NHS number, sorted by family name. */
export async function searchPatientsInReach(
  db: Db,
  fhirBaseUrl: string,
  user: SignedInUser,
  text: string
): Promise<PatientChoice[]> {
  const query = text.trim().slice(0, 100);
  const request: SearchRequest<Patient> = { resourceType: 'Patient', count: 20, sortRules: [{ code: 'family' }] };
  if (/^\d{10}$/.test(query.replace(/\s/g, ''))) {
    request.filters = [
      { code: 'identifier', operator: 'eq' as never, value: `${NHS_NUMBER}|${query.replace(/\s/g, '')}` },
    ];
  } else if (query) {
    request.filters = [{ code: 'name', operator: 'contains' as never, value: query }];
  }
  const bundle = await repositoryAs(db, fhirBaseUrl, user).search(request);
  return (bundle.entry ?? []).map((entry) => choiceOf(entry.resource as Patient));
}

/** The Patient a carer looks after, from their RelatedPerson.patient. */
export async function patientCaredForBy(db: Db, fhirBaseUrl: string, user: SignedInUser): Promise<string | undefined> {
  const id = user.fhirUser.split('/')[1];
  try {
    const related = await repositoryAs(db, fhirBaseUrl, user).readResource<RelatedPerson>('RelatedPerson', id);
    return related.patient?.reference?.split('/')[1];
  } catch (err) {
    if (err instanceof OperationOutcomeError) {
      return undefined;
    }
    throw err;
  }
}
