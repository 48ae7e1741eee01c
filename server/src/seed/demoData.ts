// Demo data for a first start: a virtual ward with a clinician, three patients, their devices and a week of readings.
import type { BundleEntry, Observation, Resource } from '@medplum/fhirtypes';
import type { ServerConfig } from '../config.ts';
import type { PostgresRepository } from '../fhir/repository/postgresRepository.ts';

export interface DemoCredentials {
  summary: string;
}

const DEMO_SYSTEM = 'http://rpm-platform.org/fhir/demo';
const NHS_NUMBER = 'https://fhir.nhs.uk/Id/nhs-number';

const PATIENTS = [
  { nhs: '9434765919', family: 'Okafor', given: 'Grace', gender: 'female', birthDate: '1948-03-12' },
  { nhs: '9000000009', family: 'Hughes', given: 'Arthur', gender: 'male', birthDate: '1952-11-02' },
  { nhs: '9449306060', family: 'Patel', given: 'Priya', gender: 'female', birthDate: '1961-07-24' },
] as const;

/** Seeds once: does nothing when the demo organization already exists. */
export async function seedDemoData(repo: PostgresRepository, config: ServerConfig): Promise<DemoCredentials> {
  const summary = `${PATIENTS.length} demo patients on the "Demo Virtual Ward"; use the admin client above`;
  const existing = await repo.searchOne({
    resourceType: 'Organization',
    filters: [{ code: 'identifier', operator: 'eq' as never, value: `${DEMO_SYSTEM}|virtual-ward` }],
  });
  if (existing || config.production) {
    return { summary };
  }
  const orgUrl = 'urn:uuid:5b0c7a1e-0000-4000-8000-000000000001';
  const practitionerUrl = 'urn:uuid:5b0c7a1e-0000-4000-8000-000000000002';
  const entries: BundleEntry[] = [
    create(orgUrl, {
      resourceType: 'Organization',
      identifier: [{ system: DEMO_SYSTEM, value: 'virtual-ward' }],
      name: 'Demo Virtual Ward',
      active: true,
    }),
    create(practitionerUrl, {
      resourceType: 'Practitioner',
      identifier: [{ system: DEMO_SYSTEM, value: 'nurse-1' }],
      name: [{ family: 'Bennett', given: ['Sam'], prefix: ['Nurse'] }],
      active: true,
    }),
  ];
  const now = Date.now();
  PATIENTS.forEach((p, i) => {
    const patientUrl = `urn:uuid:5b0c7a1e-0000-4000-8000-00000000010${i}`;
    entries.push(
      create(patientUrl, {
        resourceType: 'Patient',
        identifier: [{ system: NHS_NUMBER, value: p.nhs }],
        name: [{ family: p.family, given: [p.given] }],
        gender: p.gender,
        birthDate: p.birthDate,
        managingOrganization: { reference: orgUrl },
        generalPractitioner: [{ reference: practitionerUrl }],
      })
    );
    for (let day = 6; day >= 0; day--) {
      const when = new Date(now - day * 86_400_000 - i * 3_600_000).toISOString();
      const worsening = i === 1 ? 6 - day : 0; // Arthur's heart rate climbs over the week.
      entries.push(
        create(
          `urn:uuid:${crypto.randomUUID()}`,
          vital(patientUrl, when, '8867-4', 'Heart rate', 72 + worsening * 6, '/min')
        )
      );
      entries.push(
        create(
          `urn:uuid:${crypto.randomUUID()}`,
          vital(patientUrl, when, '2708-6', 'Oxygen saturation', 97 - (i === 1 ? Math.floor(worsening / 2) : 0), '%')
        )
      );
      entries.push(create(`urn:uuid:${crypto.randomUUID()}`, bloodPressure(patientUrl, when, 128 + i * 6, 82)));
    }
  });
  await repo.withTransaction(
    async (tx) => {
      for (const entry of entries) {
        const resource = entry.resource as Resource;
        const saved = await tx.createResource(resource);
        rewrite(entries, entry.fullUrl as string, `${saved.resourceType}/${saved.id}`);
      }
    },
    { resourceTypes: [] }
  );
  return { summary: `${summary} (seeded ${entries.length} resources)` };
}

function create(fullUrl: string, resource: Resource): BundleEntry {
  return { fullUrl, resource, request: { method: 'POST', url: resource.resourceType } };
}

/** Points later entries' references at the id the earlier entry was given. */
function rewrite(entries: BundleEntry[], fullUrl: string, reference: string): void {
  const text = JSON.stringify(fullUrl);
  for (const entry of entries) {
    const json = JSON.stringify(entry.resource);
    if (json.includes(text)) {
      entry.resource = JSON.parse(json.split(text).join(JSON.stringify(reference))) as Resource;
    }
  }
}

function vitalBase(patient: string, when: string, code: string, display: string): Observation {
  return {
    resourceType: 'Observation',
    status: 'final',
    category: [
      {
        coding: [
          {
            system: 'http://terminology.hl7.org/CodeSystem/observation-category',
            code: 'vital-signs',
            display: 'Vital Signs',
          },
        ],
      },
    ],
    code: { coding: [{ system: 'http://loinc.org', code, display }], text: display },
    subject: { reference: patient },
    effectiveDateTime: when,
  };
}

function vital(patient: string, when: string, code: string, display: string, value: number, unit: string): Observation {
  return {
    ...vitalBase(patient, when, code, display),
    valueQuantity: { value, unit, system: 'http://unitsofmeasure.org', code: unit },
  };
}

function bloodPressure(patient: string, when: string, systolic: number, diastolic: number): Observation {
  const component = (code: string, display: string, value: number) => ({
    code: { coding: [{ system: 'http://loinc.org', code, display }] },
    valueQuantity: { value, unit: 'mmHg', system: 'http://unitsofmeasure.org', code: 'mm[Hg]' },
  });
  return {
    ...vitalBase(patient, when, '85354-9', 'Blood pressure panel'),
    component: [
      component('8480-6', 'Systolic blood pressure', systolic),
      component('8462-4', 'Diastolic blood pressure', diastolic),
    ],
  };
}
