// GET Device/[id]/$status: a device's holder, versions, calibration and last contact, computed when asked (no write per reading).
import { allOk, type SearchRequest, type WithId } from '@medplum/core';
import type { FhirRepository, FhirRequest, FhirResponse } from '@medplum/fhir-router';
import type {
  Device,
  DeviceMetric,
  DeviceUseStatement,
  Observation,
  Parameters,
  ParametersParameter,
} from '@medplum/fhirtypes';
import { PostgresRepository } from '../fhir/repository/postgresRepository.ts';
import { parseSearchQuery } from '../fhir/search/index.ts';
import { MDC_SYSTEM, MDC_VERSION_TYPES } from './phdGatewayBundle.ts';

/** The device's version of one kind (MDC-typed `Device.version[]`), e.g. its firmware. */
export function deviceVersion(device: Device, kind: keyof typeof MDC_VERSION_TYPES): string | undefined {
  const code = MDC_VERSION_TYPES[kind];
  return device.version?.find((v) => v.type?.coding?.some((c) => c.system === MDC_SYSTEM && c.code === code))?.value;
}

/**
 * Last contact is the `meta.lastUpdated` of the newest Observation naming the device (`Observation?device=Device/x`,
 * sorted by `-_lastUpdated`, one row through the reference index): when the server last received a reading from it.
 * Nothing is written per reading to keep it; a device whose readings the caller may not see shows none.
 */
export async function lastContact(
  repo: FhirRepository,
  deviceId: string
): Promise<{ receivedAt?: string; reading?: WithId<Observation> }> {
  const [latest] = await repo.searchResources<Observation>(
    parseSearchQuery('Observation', {
      device: `Device/${deviceId}`,
      _sort: '-_lastUpdated',
      _count: '1',
    }) as SearchRequest<Observation>
  );
  return latest ? { receivedAt: latest.meta?.lastUpdated, reading: latest } : {};
}

const part = (name: string, value: Omit<ParametersParameter, 'name'> | undefined): ParametersParameter[] =>
  value ? [{ name, ...value }] : [];

/**
 * Parameters: `device`, `patient` and `assignedSince` (the active DeviceUseStatement), `manufacturer`, `model`,
 * `serialNumber`, `firmware`/`software`/`hardware`, `lastContact` (instant) and `lastReading` (the Observation's
 * reference), and one `calibration` per DeviceMetric of the device (metric, type, state, time). The Device is read as
 * the caller (404 out of reach); readings as the caller; DeviceUseStatements and DeviceMetrics (device data the
 * caller, who sees the device, may know) as the server.
 */
export async function deviceStatusOperation(req: FhirRequest, repo: FhirRepository): Promise<FhirResponse> {
  const device = await repo.readResource<Device>('Device', req.params.id);
  const server = repo instanceof PostgresRepository ? repo.asServer() : repo;
  const id = device.id;
  const [contact, uses, metrics] = await Promise.all([
    lastContact(repo, id),
    server.searchResources<DeviceUseStatement>(
      parseSearchQuery('DeviceUseStatement', {
        device: `Device/${id}`,
        _count: '100',
      }) as SearchRequest<DeviceUseStatement>
    ),
    server.searchResources<DeviceMetric>(
      parseSearchQuery('DeviceMetric', { source: `Device/${id}`, _count: '100' }) as SearchRequest<DeviceMetric>
    ),
  ]);
  const active = uses.find((u) => u.status === 'active' && u.subject?.reference === device.patient?.reference);
  const text = (value: string | undefined): { valueString: string } | undefined =>
    value ? { valueString: value } : undefined;
  const parameters: Parameters = {
    resourceType: 'Parameters',
    parameter: [
      { name: 'device', valueReference: { reference: `Device/${id}` } },
      ...part('patient', device.patient ? { valueReference: device.patient } : undefined),
      ...part('assignedSince', active?.timingPeriod?.start ? { valueDateTime: active.timingPeriod.start } : undefined),
      ...part('manufacturer', text(device.manufacturer)),
      ...part('model', text(device.modelNumber)),
      ...part('serialNumber', text(device.serialNumber)),
      ...part('firmware', text(deviceVersion(device, 'firmware'))),
      ...part('software', text(deviceVersion(device, 'software'))),
      ...part('hardware', text(deviceVersion(device, 'hardware'))),
      ...part('lastContact', contact.receivedAt ? { valueInstant: contact.receivedAt } : undefined),
      ...part(
        'lastReading',
        contact.reading ? { valueReference: { reference: `Observation/${contact.reading.id}` } } : undefined
      ),
      ...metrics.flatMap((metric) =>
        (metric.calibration ?? []).map((calibration) => ({
          name: 'calibration',
          part: [
            { name: 'metric', valueReference: { reference: `DeviceMetric/${metric.id}` } },
            ...part('type', calibration.type ? { valueCode: calibration.type } : undefined),
            ...part('state', calibration.state ? { valueCode: calibration.state } : undefined),
            ...part('time', calibration.time ? { valueInstant: calibration.time } : undefined),
          ],
        }))
      ),
    ],
  };
  return [allOk, parameters];
}
