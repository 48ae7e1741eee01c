// The patient SMART app on a test server: built if stale, registered as a first-party client of its own, a patient.
import type { CarePlan } from '@medplum/fhirtypes';
import { ensurePatientAppBuilt } from '../apps/patient-smart-app/build/ensureBuilt.ts';
import { createPatientPerson, type TestPerson } from '../server/src/testing/smartFlow.ts';
import type { TestServerContext } from '../server/src/testing/testServer.ts';
import { createResource, randomSuffix, registerClient } from './support.ts';

export interface PatientAppClient {
  /** A client id of this test file's own (the seeded rpm-patient-app points at the fixed app URL). */
  clientId: string;
  /** Where the server serves the app: `<base>/apps/patient/`. */
  appUrl: string;
}

/**
 * Builds apps/patient-smart-app/dist when it is missing or older than its sources, then registers a first-party
 * public client (PKCE, refresh tokens) whose redirect is the app, with the patient scopes the app asks for.
 */
export async function registerPatientApp(ctx: TestServerContext, name: string): Promise<PatientAppClient> {
  await ensurePatientAppBuilt();
  const clientId = `e2e-patient-${name}-${randomSuffix()}`;
  const appUrl = `${ctx.server.baseUrl}/apps/patient/`;
  await registerClient(ctx, {
    client_id: clientId,
    client_name: `My health readings (E2E ${name})`,
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    redirect_uris: [appUrl],
    fhir_scopes: 'patient/*.cruds patient/*.*',
    rpm_first_party: true,
  });
  return { clientId, appUrl };
}

/**
 * A patient who can sign in (email and password), enrolled in a monitoring CarePlan that asks for blood pressure
 * twice a day (08:00 and 20:00), SpO2 and weight once a day.
 */
export async function createMonitoredPatient(
  ctx: TestServerContext
): Promise<TestPerson & { patientId: string; family: string }> {
  const family = `Homecare${randomSuffix()}`;
  const person = await createPatientPerson(ctx.server, { name: [{ given: ['Rosa'], family }] });
  const scheduled = (code: string, display: string, repeat: Record<string, unknown>) => ({
    detail: {
      status: 'scheduled' as const,
      code: { coding: [{ system: 'http://loinc.org', code, display }] },
      scheduledTiming: { repeat },
    },
  });
  await createResource<CarePlan>(ctx, {
    resourceType: 'CarePlan',
    status: 'active',
    intent: 'plan',
    title: 'Home monitoring',
    subject: { reference: `Patient/${person.patientId}` },
    period: { start: new Date(Date.now() - 7 * 24 * 3600_000).toISOString() },
    activity: [
      scheduled('85354-9', 'Blood pressure panel', { timeOfDay: ['08:00:00', '20:00:00'] }),
      scheduled('2708-6', 'Oxygen saturation', { frequency: 1, period: 1, periodUnit: 'd' }),
      scheduled('29463-7', 'Body weight', { frequency: 1, period: 1, periodUnit: 'd' }),
    ],
  });
  return { ...person, family };
}
