// POST Device/[id]/$assign and $unassign: who holds a device, as Device.patient and a DeviceUseStatement history, atomically.
import {
  allOk,
  badRequest,
  isGone,
  isNotFound,
  OperationOutcomeError,
  type SearchRequest,
  type WithId,
} from '@medplum/core';
import type { FhirRepository, FhirRequest, FhirResponse } from '@medplum/fhir-router';
import type { Device, DeviceUseStatement, Parameters, Patient } from '@medplum/fhirtypes';
import { PostgresRepository } from '../fhir/repository/postgresRepository.ts';
import { parseSearchQuery } from '../fhir/search/index.ts';
import { assertMayAssignDevices } from './deviceAssignmentAccess.ts';

const PATIENT_REFERENCE = /^Patient\/([A-Za-z0-9\-.]{1,64})$/;

function fail(text: string, expression?: string): never {
  throw new OperationOutcomeError(badRequest(text, expression));
}

/** The `patient` parameter of $assign (required, a valueReference to Patient/<id>); nothing else is accepted. */
export function readAssignParameters(body: unknown): { patient: string } {
  if (!body || typeof body !== 'object' || (body as Parameters).resourceType !== 'Parameters') {
    fail('The body must be a Parameters resource with a "patient" valueReference');
  }
  const parameters = (body as Parameters).parameter ?? [];
  if (!Array.isArray(parameters) || parameters.length !== 1 || parameters[0]?.name !== 'patient') {
    fail('$assign takes exactly one parameter, "patient" (valueReference to Patient/<id>)', 'Parameters.parameter');
  }
  const reference = parameters[0].valueReference?.reference;
  if (typeof reference !== 'string' || !PATIENT_REFERENCE.test(reference)) {
    fail('Parameter "patient" must be a valueReference to Patient/<id>', 'Parameters.parameter.patient');
  }
  return { patient: reference };
}

/** $unassign takes no parameters (an empty body, or a Parameters without any). */
function assertNoParameters(body: unknown): void {
  const empty = body === undefined || body === null || (typeof body === 'object' && Object.keys(body).length === 0);
  const parameters = empty ? [] : (body as Parameters).parameter;
  if (!empty && ((body as Parameters).resourceType !== 'Parameters' || (parameters?.length ?? 0) > 0)) {
    fail('$unassign takes no parameters');
  }
}

/** Assigns the device to a patient: ends the previous holder's DeviceUseStatement, starts one, sets Device.patient. */
export async function assignDeviceOperation(req: FhirRequest, repo: FhirRepository): Promise<FhirResponse> {
  const { patient } = readAssignParameters(req.body);
  return [allOk, await changeDeviceHolder(repo, req.params.id, patient)];
}

/** Takes the device back: ends the holder's DeviceUseStatement and clears Device.patient. */
export async function unassignDeviceOperation(req: FhirRequest, repo: FhirRepository): Promise<FhirResponse> {
  assertNoParameters(req.body);
  return [allOk, await changeDeviceHolder(repo, req.params.id, undefined)];
}

/**
 * In one transaction: reads the Device as the caller (404 when it names a patient the caller does not reach: the
 * previous holder must be in reach), reads the new Patient as the caller (400 when not found or out of reach), then,
 * as the server, completes every active DeviceUseStatement of the device (timingPeriod.end now), creates the new one
 * (subject, device, timingPeriod.start, recordedOn, source the calling practitioner) and updates Device.patient with
 * If-Match on the version read (a concurrent change is 412, nothing written). Already held by that patient: the
 * Device unchanged, nothing written.
 */
export async function changeDeviceHolder(
  repo: FhirRepository,
  deviceId: string,
  patient: string | undefined
): Promise<WithId<Device>> {
  if (!(repo instanceof PostgresRepository)) {
    throw new Error('Device assignment needs the PostgreSQL repository');
  }
  const caller = repo.context.caller;
  assertMayAssignDevices(caller);
  return repo.withTransaction(async (tx) => {
    const device = await tx.readResource<Device>('Device', deviceId);
    if (patient) {
      await readPatientParameter(tx, patient);
    }
    if (device.patient?.reference === patient) {
      return device;
    }
    const server = tx.asServer();
    const now = new Date().toISOString();
    const statements = await server.searchResources<DeviceUseStatement>(
      parseSearchQuery('DeviceUseStatement', {
        device: `Device/${deviceId}`,
        _count: '1000',
      }) as SearchRequest<DeviceUseStatement>
    );
    for (const statement of statements.filter((s) => s.status === 'active')) {
      await server.updateResource<DeviceUseStatement>({
        ...statement,
        status: 'completed',
        timingPeriod: { ...statement.timingPeriod, end: now },
      });
    }
    const source: DeviceUseStatement['source'] = caller?.fhirUser?.startsWith('Practitioner/')
      ? { reference: caller.fhirUser }
      : undefined;
    if (patient) {
      await server.createResource<DeviceUseStatement>({
        resourceType: 'DeviceUseStatement',
        status: 'active',
        subject: { reference: patient },
        device: { reference: `Device/${deviceId}` },
        timingPeriod: { start: now },
        recordedOn: now,
        ...(source ? { source } : {}),
      });
    }
    const { patient: _previous, ...rest } = device;
    return server.updateResource<Device>(
      { ...rest, ...(patient ? { patient: { reference: patient } } : {}) },
      { ifMatch: device.meta?.versionId }
    );
  });
}

/** The new holder, read as the caller: 400 naming the parameter when it is missing or out of the caller's reach. */
async function readPatientParameter(repo: FhirRepository, reference: string): Promise<void> {
  try {
    await repo.readReference<Patient>({ reference });
  } catch (err) {
    if (err instanceof OperationOutcomeError && (isNotFound(err.outcome) || isGone(err.outcome))) {
      fail(`Parameter "patient": ${reference} was not found`, 'Parameters.parameter.patient');
    }
    throw err;
  }
}
