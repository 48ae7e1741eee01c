// Which account an upstream identity signs in as: a linked identity, else NHS number (patients) or email (staff).
import { Operator } from '@medplum/core';
import type { Patient } from '@medplum/fhirtypes';
import {
  createAccount,
  findAccountByEmail,
  findAccountById,
  findAccountByIdentity,
  linkIdentity,
  type Account,
} from '../../accounts/accountStore.ts';
import type { UpstreamProviderConfig } from '../../config.ts';
import type { Db } from '../../db/pool.ts';
import { PostgresRepository } from '../../fhir/repository/postgresRepository.ts';

export const NHS_NUMBER_SYSTEM = 'https://fhir.nhs.uk/Id/nhs-number';

export type UpstreamMatch = { account: Account } | { account?: undefined; reason: string; message: string };

const NOT_FOUND_PATIENT =
  'Your NHS login is not linked to a patient record on this service yet. Contact your care team to be enrolled.';
const NOT_FOUND_STAFF =
  'Your smartcard identity is not linked to a staff account on this service. Contact your administrator.';

async function patientByNhsNumber(db: Db, nhsNumber: string): Promise<Patient | undefined> {
  const repo = new PostgresRepository(db, { fhirBaseUrl: 'urn:rpm:internal' });
  return repo.searchOne<Patient>({
    resourceType: 'Patient',
    filters: [{ code: 'identifier', operator: Operator.EQUALS, value: `${NHS_NUMBER_SYSTEM}|${nhsNumber}` }],
  });
}

/**
 * Patients (NHS login): the ID token's `nhs_number` must name a Patient we hold, and the identity must be verified
 * to P9 (`identity_proofing_level`) because the account opens a health record. The patient's account is created on
 * first sign-in (no password: they always sign in through NHS login) and linked to the upstream subject.
 * Staff (NHS CIS2): a verified email must match an existing clinician or admin account, which is then linked.
 * Either way, a subject linked earlier signs in as its account directly.
 */
export async function matchUpstreamAccount(
  db: Db,
  upstream: UpstreamProviderConfig,
  claims: Record<string, unknown>
): Promise<UpstreamMatch> {
  const subject = typeof claims.sub === 'string' ? claims.sub : undefined;
  if (!subject) {
    return { reason: 'no subject in ID token', message: 'The sign-in answer was incomplete.' };
  }
  const linked = await findAccountByIdentity(db, upstream.issuer, subject);
  if (linked) {
    return linked.disabled
      ? { reason: 'account disabled', message: 'This account has been disabled. Contact your administrator.' }
      : { account: linked };
  }
  if (upstream.kind === 'patient') {
    const nhsNumber = typeof claims.nhs_number === 'string' ? claims.nhs_number.replace(/\s/g, '') : '';
    if (!/^\d{10}$/.test(nhsNumber)) {
      return { reason: 'no NHS number in ID token', message: NOT_FOUND_PATIENT };
    }
    if (claims.identity_proofing_level !== 'P9') {
      return {
        reason: `identity proofing level ${String(claims.identity_proofing_level)} is below P9`,
        message: 'Your NHS login needs to be fully verified (P9) to see your health record. Verify it in the NHS App.',
      };
    }
    const patient = await patientByNhsNumber(db, nhsNumber);
    if (!patient) {
      return { reason: 'no Patient with this NHS number', message: NOT_FOUND_PATIENT };
    }
    const fhirUser = `Patient/${patient.id}`;
    const existing = await db.query(`SELECT id FROM account WHERE fhir_user = $1 AND role = 'patient' LIMIT 1`, [
      fhirUser,
    ]);
    const email =
      typeof claims.email === 'string' && claims.email_verified !== false
        ? claims.email
        : `nhs-login.${subject}@upstream.invalid`;
    const account = existing.rows[0]
      ? await findAccountById(db, existing.rows[0].id)
      : await createAccount(db, { email, role: 'patient', fhirUser, password: null });
    if (!account || account.disabled) {
      return { reason: 'account missing or disabled', message: NOT_FOUND_PATIENT };
    }
    await linkIdentity(db, account.id, upstream.issuer, subject);
    return { account };
  }
  const email = typeof claims.email === 'string' && claims.email_verified !== false ? claims.email : undefined;
  const account = email ? await findAccountByEmail(db, email) : undefined;
  if (!account || (account.role !== 'clinician' && account.role !== 'admin') || account.disabled) {
    return { reason: 'no staff account for this identity', message: NOT_FOUND_STAFF };
  }
  await linkIdentity(db, account.id, upstream.issuer, subject);
  return { account };
}
