// Bot (scheduled): flags devices assigned to patients that have gone silent or run firmware below their programme's minimum.
import type { BotEvent, MedplumClient } from '@medplum/core';
import type { CarePlan, Device, PlanDefinition } from '@medplum/fhirtypes';
import { buildAlert } from '../alerts/buildAlert.ts';
import { raiseAlert, type RaiseAlertResult } from '../alerts/raiseAlert.ts';
import { checkDevice, readDeviceRules, type DeviceRules } from '../rules/devices/deviceRules.ts';
import { isMonitoringCarePlan, type BotClient } from './monitoringContext.ts';

export interface DeviceFlagsResult {
  /** Devices assigned to a patient that were checked. */
  devices: number;
  alerts: { device: string; patient: string; rule: string; outcome: RaiseAlertResult['outcome'] }[];
}

/** Devices read per page; every page is read. */
export const DEVICE_PAGE_SIZE = 500;

/** Patients whose CarePlans are fetched with one search. */
export const PATIENTS_PER_CARE_PLAN_SEARCH = 100;

/** What the scan needs of MedplumClient: the bot client plus paged search. */
export type DeviceFlagsClient = BotClient & Pick<MedplumClient, 'searchResourcePages'>;

/** Medplum bot entry point, run on a schedule (hourly); event.input is not used. */
export async function handler(medplum: MedplumClient, _event: BotEvent): Promise<DeviceFlagsResult> {
  return scanDevices(medplum, new Date());
}

/**
 * Every Device with a `patient` (`Device?patient:missing=false`), page by page. For a hundred patients at a time, one
 * CarePlan search finds their programmes (each PlanDefinition read once per run); then, per device, its last contact:
 * the `meta.lastUpdated` of its newest reading (`Observation?device=Device/x&_sort=-_lastUpdated&_count=1`, as
 * `Device/[id]/$status` defines it), or when it never sent one, the time it was assigned (`Device.meta.lastUpdated`,
 * which `$assign` sets). One open alert per device, patient and rule (the device id qualifies the alert).
 */
export async function scanDevices(medplum: DeviceFlagsClient, now: Date): Promise<DeviceFlagsResult> {
  const result: DeviceFlagsResult = { devices: 0, alerts: [] };
  const programmes = new Map<string, Promise<PlanDefinition | undefined>>();
  let batch: Device[] = [];
  for await (const page of medplum.searchResourcePages('Device', [
    ['patient:missing', 'false'],
    ['_count', String(DEVICE_PAGE_SIZE)],
  ])) {
    for (const device of page) {
      if (!device.patient?.reference?.startsWith('Patient/')) {
        continue;
      }
      batch.push(device);
      if (new Set(batch.map((d) => d.patient?.reference)).size >= PATIENTS_PER_CARE_PLAN_SEARCH) {
        await checkBatch(medplum, batch, programmes, now, result);
        batch = [];
      }
    }
  }
  await checkBatch(medplum, batch, programmes, now, result);
  return result;
}

async function checkBatch(
  medplum: DeviceFlagsClient,
  devices: Device[],
  programmes: Map<string, Promise<PlanDefinition | undefined>>,
  now: Date,
  result: DeviceFlagsResult
): Promise<void> {
  if (devices.length === 0) {
    return;
  }
  const programmeOf = await patientProgrammes(
    medplum,
    [...new Set(devices.map((d) => d.patient?.reference ?? ''))],
    now
  );
  for (const device of devices) {
    result.devices++;
    const patient = device.patient?.reference as string;
    const url = programmeOf.get(patient);
    let programme: Promise<PlanDefinition | undefined> | undefined;
    if (url) {
      programme = programmes.get(url) ?? medplum.searchResources('PlanDefinition', { url }).then((found) => found[0]);
      programmes.set(url, programme);
    }
    const rules: DeviceRules = readDeviceRules(await programme);
    const findings = checkDevice(device, await lastContact(medplum, device), rules, now);
    for (const finding of findings) {
      const alert = buildAlert({
        patient: { reference: patient },
        rule: finding.rule,
        qualifier: device.id,
        severity: finding.rule === 'device-silent' ? 'moderate' : 'low',
        observations: [],
        explanation: finding.explanation,
        programme: url,
        identified: now,
        ...(device.specialization?.[0]?.systemType ? { evidenceCode: device.specialization[0].systemType } : {}),
      });
      const raised = await raiseAlert(medplum, alert);
      result.alerts.push({ device: `Device/${device.id}`, patient, rule: finding.rule, outcome: raised.outcome });
    }
  }
}

/** The programme (canonical) of each patient's monitoring CarePlan in force (the most recently updated). */
async function patientProgrammes(
  medplum: DeviceFlagsClient,
  patients: string[],
  now: Date
): Promise<Map<string, string>> {
  const carePlans = await medplum.searchResources('CarePlan', [
    ['subject', patients.join(',')],
    ['status', 'active'],
    ['_count', '1000'],
  ]);
  const programmeOf = new Map<string, string>();
  const newest = new Map<string, CarePlan>();
  for (const carePlan of carePlans.filter((c) => isMonitoringCarePlan(c, now))) {
    const patient = carePlan.subject?.reference;
    const known = patient ? newest.get(patient) : undefined;
    if (patient && (!known || (carePlan.meta?.lastUpdated ?? '') > (known.meta?.lastUpdated ?? ''))) {
      newest.set(patient, carePlan);
      programmeOf.set(patient, carePlan.instantiatesCanonical?.[0] as string);
    }
  }
  return programmeOf;
}

/** When the server last heard from the device (see scanDevices). */
async function lastContact(medplum: DeviceFlagsClient, device: Device): Promise<Date | undefined> {
  const [latest] = await medplum.searchResources('Observation', [
    ['device', `Device/${device.id}`],
    ['_sort', '-_lastUpdated'],
    ['_count', '1'],
  ]);
  const time = latest?.meta?.lastUpdated ?? device.meta?.lastUpdated;
  return time ? new Date(time) : undefined;
}
