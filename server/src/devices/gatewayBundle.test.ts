// A device gateway as a vendor builds one: backend-services token (private_key_jwt), PHD bundles posted twice, bad ones refused.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import type { Bundle, Device, Observation, OperationOutcome, Patient } from '@medplum/fhirtypes';
import { beforeAll, describe, expect, test } from 'vitest';
import { nhsCheckDigit } from '../../../bench/src/nhsNumber.ts';
import { GATEWAY_SCOPES } from './gatewayClientRegistration.ts';
import { registerBackendServicesClient, type BackendServicesClient } from '../testing/backendServicesClient.ts';
import { fhirFetch, useTestServer } from '../testing/testServer.ts';
import {
  EUI64_SYSTEM,
  MDC_SPECIALISATIONS,
  MDC_SYSTEM,
  MDC_VERSION_TYPES,
  NHS_NUMBER_SYSTEM,
  PHD_OBSERVATION_IDENTIFIER_SYSTEM,
  phdGatewayBundle,
  type GatewayUpload,
} from './phdGatewayBundle.ts';

const ctx = useTestServer();

const UCUM = 'http://unitsofmeasure.org';
const VITAL_SIGNS = [
  { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] },
];

/** A valid NHS Number in the 999 test range, different on every call. */
function newNhsNumber(): string {
  for (;;) {
    const prefix = `999${String(Math.floor(Math.random() * 1e6)).padStart(6, '0')}`;
    const check = nhsCheckDigit(prefix);
    if (check !== undefined) return `${prefix}${check}`;
  }
}

function newEui64(): string {
  return randomUUID().replace(/-/g, '').slice(0, 16).toUpperCase();
}

function vital(loinc: string, mdc: string, at: string, value: number, unit: string): Observation {
  return {
    resourceType: 'Observation',
    status: 'final',
    category: VITAL_SIGNS,
    code: {
      coding: [
        { system: 'http://loinc.org', code: loinc },
        { system: MDC_SYSTEM, code: mdc },
      ],
    },
    subject: { reference: 'replaced-by-the-bundle' },
    effectiveDateTime: at,
    valueQuantity: { value, unit, system: UCUM, code: unit },
  };
}

/** An upload from a pulse oximeter: six SpO2 and pulse pairs a minute apart. */
function oximeterUpload(nhsNumber: string, eui64: string): GatewayUpload {
  const start = Date.parse('2025-06-01T08:00:00Z');
  const observations = Array.from({ length: 6 }, (_, i) => {
    const at = new Date(start + i * 60_000).toISOString();
    return [vital('2708-6', '150456', at, 95 + (i % 3), '%'), vital('8867-4', '149530', at, 70 + i, '/min')];
  }).flat();
  const patient: Patient = {
    resourceType: 'Patient',
    identifier: [{ system: NHS_NUMBER_SYSTEM, value: nhsNumber }],
  };
  const device: Device = {
    resourceType: 'Device',
    identifier: [{ system: EUI64_SYSTEM, value: eui64 }],
    manufacturer: 'Acme Medical',
    modelNumber: 'OX-200',
    serialNumber: `SN-${eui64.slice(-6)}`,
    specialization: [{ systemType: { coding: [{ system: MDC_SYSTEM, code: MDC_SPECIALISATIONS.pulseOximeter }] } }],
    version: [
      { type: { coding: [{ system: MDC_SYSTEM, code: MDC_VERSION_TYPES.firmware }] }, value: '2.4.1' },
      { type: { coding: [{ system: MDC_SYSTEM, code: MDC_VERSION_TYPES.hardware }] }, value: 'B' },
    ],
  };
  return { patient, device, observations };
}

describe('PHD device gateway upload with a backend-services client', () => {
  let gateway: BackendServicesClient;
  let post: (bundle: Bundle) => Promise<Response>;

  beforeAll(async () => {
    gateway = await registerBackendServicesClient(ctx.server, ctx.medplum.getAccessToken() as string);
    const token = await gateway.token(GATEWAY_SCOPES);
    expect(token.scope).toBe(GATEWAY_SCOPES);
    const api = fhirFetch(ctx.server, token.access_token);
    post = (bundle) => api('', { method: 'POST', body: JSON.stringify(bundle) });
  });

  /** Counts through the admin client, which sees everything. */
  async function count(path: string): Promise<number> {
    const response = await ctx.api(`${path}&_summary=count`);
    expect(response.status).toBe(200);
    return ((await response.json()) as Bundle).total as number;
  }

  test('the same bundle posted twice: created once, then every entry found; one copy of each resource', async () => {
    const nhsNumber = newNhsNumber();
    const eui64 = newEui64();
    const upload = oximeterUpload(nhsNumber, eui64);

    const first = await post(phdGatewayBundle(upload));
    expect(first.status, await first.clone().text()).toBe(200);
    const firstBody = (await first.json()) as Bundle;
    expect(firstBody.type).toBe('transaction-response');
    expect(firstBody.entry?.map((e) => e.response?.status)).toEqual(Array(14).fill('201'));

    // A resend (the gateway never saw the response) has fresh urn:uuids, as a real retry would.
    const second = await post(phdGatewayBundle(upload));
    expect(second.status).toBe(200);
    const secondBody = (await second.json()) as Bundle;
    expect(secondBody.entry?.map((e) => e.response?.status)).toEqual(Array(14).fill('200'));
    expect(secondBody.entry?.map((e) => e.response?.location?.split('/_history')[0])).toEqual(
      firstBody.entry?.map((e) => e.response?.location?.split('/_history')[0])
    );

    expect(await count(`Patient?identifier=${NHS_NUMBER_SYSTEM}|${nhsNumber}`)).toBe(1);
    expect(await count(`Device?identifier=${EUI64_SYSTEM}|${eui64}`)).toBe(1);
    const device = (await (await ctx.api(`Device?identifier=${EUI64_SYSTEM}|${eui64}`)).json()) as Bundle<Device>;
    const deviceId = device.entry?.[0].resource?.id;
    expect(await count(`Observation?device=Device/${deviceId}`)).toBe(12);
    for (const observation of phdGatewayBundle(upload).entry?.slice(2) ?? []) {
      const identifier = (observation.resource as Observation).identifier?.[0];
      expect(identifier?.system).toBe(PHD_OBSERVATION_IDENTIFIER_SYSTEM);
      expect(identifier?.value).toMatch(new RegExp(`^${eui64}-${nhsNumber}-20250601080\\d00-(150456|149530)$`));
      expect(await count(`Observation?identifier=${identifier?.system}|${identifier?.value}`)).toBe(1);
    }
    const patient = (await (
      await ctx.api(`Patient?identifier=${NHS_NUMBER_SYSTEM}|${nhsNumber}`)
    ).json()) as Bundle<Patient>;
    expect(device.entry?.[0].resource?.patient?.reference).toBe(`Patient/${patient.entry?.[0].resource?.id}`);
  });

  test('a later upload adds only its new readings to the known patient and device', async () => {
    const upload = oximeterUpload(newNhsNumber(), newEui64());
    expect((await post(phdGatewayBundle({ ...upload, observations: upload.observations.slice(0, 4) }))).status).toBe(
      200
    );
    const overlapping = (await (await post(phdGatewayBundle(upload))).json()) as Bundle;
    expect(overlapping.entry?.map((e) => e.response?.status)).toEqual([
      ...Array(6).fill('200'),
      ...Array(8).fill('201'),
    ]);
  });

  test("the README's example upload works as documented: 201s, then 200s for the resend", async () => {
    const readme = fs.readFileSync(new URL('./README.md', import.meta.url), 'utf8');
    const example = /```json\n([\s\S]+?)\n```/.exec(readme)?.[1] as string;
    const nhsNumber = newNhsNumber();
    const eui64 = newEui64();
    // Fresh identifiers, so that other test files' patients never match the example's.
    const text = example.replaceAll('9434765919', nhsNumber).replaceAll('0123456789ABCDEF', eui64);
    const first = (await (await post(JSON.parse(text) as Bundle)).json()) as Bundle;
    expect(first.entry?.map((e) => e.response?.status)).toEqual(['201', '201', '201']);
    const again = (await (await post(JSON.parse(text) as Bundle)).json()) as Bundle;
    expect(again.entry?.map((e) => e.response?.status)).toEqual(['200', '200', '200']);
    expect(
      await count(
        `Observation?identifier=${PHD_OBSERVATION_IDENTIFIER_SYSTEM}|${eui64}-${nhsNumber}-20250601080000-150456`
      )
    ).toBe(1);
  });

  /** Posts a bad bundle and checks the answer is a 4xx OperationOutcome and nothing of it was stored. */
  async function expectRefusedAndNothingWritten(bundle: Bundle, nhsNumber: string, eui64: string): Promise<string> {
    const response = await post(bundle);
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
    const outcome = (await response.json()) as OperationOutcome;
    expect(outcome.resourceType).toBe('OperationOutcome');
    expect(outcome.issue?.[0].severity).toBe('error');
    expect(await count(`Patient?identifier=${NHS_NUMBER_SYSTEM}|${nhsNumber}`)).toBe(0);
    expect(await count(`Device?identifier=${EUI64_SYSTEM}|${eui64}`)).toBe(0);
    expect(
      await count(
        `Observation?identifier=${PHD_OBSERVATION_IDENTIFIER_SYSTEM}|${eui64}-${nhsNumber}-20250601080000-150456`
      )
    ).toBe(0);
    return JSON.stringify(outcome);
  }

  test('a malformed reading (invalid status) refuses the whole bundle: 4xx OperationOutcome, nothing written', async () => {
    const nhsNumber = newNhsNumber();
    const eui64 = newEui64();
    const upload = oximeterUpload(nhsNumber, eui64);
    const bundle = phdGatewayBundle(upload);
    (bundle.entry?.[5].resource as { status: string }).status = 'measured';
    await expectRefusedAndNothingWritten(bundle, nhsNumber, eui64);
  });

  test('the same reading twice in one bundle is refused, nothing written', async () => {
    const nhsNumber = newNhsNumber();
    const eui64 = newEui64();
    const upload = oximeterUpload(nhsNumber, eui64);
    const bundle = phdGatewayBundle({ ...upload, observations: [...upload.observations, upload.observations[0]] });
    const outcome = await expectRefusedAndNothingWritten(bundle, nhsNumber, eui64);
    expect(outcome).toMatch(/same conditional criteria/);
  });

  test('a reading with an impossible time (not a FHIR dateTime) is refused, nothing written', async () => {
    const nhsNumber = newNhsNumber();
    const eui64 = newEui64();
    const bundle = phdGatewayBundle(oximeterUpload(nhsNumber, eui64));
    (bundle.entry?.[13].resource as Observation).effectiveDateTime = '2025-02-30T25:00:00Z';
    await expectRefusedAndNothingWritten(bundle, nhsNumber, eui64);
  });

  test('an entry whose request names another type than its resource is refused, nothing written', async () => {
    const nhsNumber = newNhsNumber();
    const eui64 = newEui64();
    const bundle = phdGatewayBundle(oximeterUpload(nhsNumber, eui64));
    const entry = bundle.entry?.[4];
    if (entry?.request) entry.request = { method: 'POST', url: 'Device' };
    await expectRefusedAndNothingWritten(bundle, nhsNumber, eui64);
  });

  test('a token without Device scopes cannot upload: refused, nothing written', async () => {
    const token = await gateway.token('system/Patient.crs system/Observation.crs');
    const nhsNumber = newNhsNumber();
    const eui64 = newEui64();
    const response = await fhirFetch(ctx.server, token.access_token)('', {
      method: 'POST',
      body: JSON.stringify(phdGatewayBundle(oximeterUpload(nhsNumber, eui64))),
    });
    expect(response.status).toBe(403);
    expect(((await response.json()) as OperationOutcome).resourceType).toBe('OperationOutcome');
    expect(await count(`Patient?identifier=${NHS_NUMBER_SYSTEM}|${nhsNumber}`)).toBe(0);
  });
});
