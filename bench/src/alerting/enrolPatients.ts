// Alerting scenario set-up: the heart-failure programme, then every bench patient enrolled with a monitoring CarePlan.
import fs from 'node:fs';
import path from 'node:path';
import type { CarePlan, PlanDefinition } from '@medplum/fhirtypes';
import { REPO_ROOT } from '../childProcesses.ts';
import type { FhirClient } from '../fhirClient.ts';
import type { MonitoredPatient } from '../generateObservations.ts';
import { sendTransactions, type OutgoingBundle } from '../sendTransactions.ts';

const EXAMPLES = path.join(REPO_ROOT, 'fhir', 'profiles', 'examples');

function example<T>(name: string): T {
  return JSON.parse(fs.readFileSync(path.join(EXAMPLES, `${name}.json`), 'utf8')) as T;
}

/**
 * PUTs the heart-failure programme (fhir/profiles/examples) and creates one active CarePlan per patient, starting
 * `daysAgo` days ago.
 */
export async function enrolPatients(
  client: FhirClient,
  patients: MonitoredPatient[],
  bundleSize: number,
  inFlight: number,
  daysAgo = 1
): Promise<void> {
  const programme = example<PlanDefinition>('rpm-threshold-programme-heart-failure');
  const put = await fetch(`${client.fhirBaseUrl}/PlanDefinition/${programme.id}`, {
    method: 'PUT',
    headers: { authorization: await client.authorizationHeader(), 'content-type': 'application/fhir+json' },
    body: JSON.stringify(programme),
  });
  if (!put.ok) {
    throw new Error(`PUT PlanDefinition answered ${put.status}: ${(await put.text()).slice(0, 300)}`);
  }
  const {
    id: _id,
    goal: _goal,
    author: _author,
    ...template
  } = example<CarePlan>('rpm-monitoring-careplan-heart-failure');
  const start = new Date(Date.now() - daysAgo * 86_400_000).toISOString();
  const bundles: OutgoingBundle[] = [];
  for (let first = 0; first < patients.length; first += bundleSize) {
    const slice = patients.slice(first, first + bundleSize);
    bundles.push({
      entries: slice.length,
      firstIndex: first,
      body: JSON.stringify({
        resourceType: 'Bundle',
        type: 'transaction',
        entry: slice.map((p) => ({
          request: { method: 'POST', url: 'CarePlan' },
          resource: { ...template, subject: { reference: `Patient/${p.id}` }, period: { start } },
        })),
      }),
    });
  }
  let cursor = 0;
  const summary = await sendTransactions(client, async () => bundles[cursor++], {
    label: 'care plans',
    inFlight,
    totalEntries: patients.length,
    progressStep: 0,
    maxConsecutiveFailures: 3,
  });
  if (summary.failedBundles > 0) {
    throw new Error(`enrolling patients failed: ${summary.errors.join(' | ')}`);
  }
}
