// The transaction Bundle a device gateway uploads (HL7 PHD IG pattern): Patient and Device by identifier, de-duplicated readings.
import { randomUUID } from 'node:crypto';
import type { Bundle, BundleEntry, Device, Identifier, Observation, Patient } from '@medplum/fhirtypes';

export const NHS_NUMBER_SYSTEM = 'https://fhir.nhs.uk/Id/nhs-number';
export const EUI64_SYSTEM = 'urn:oid:1.2.840.10004.1.1.1.0.0.1.0.0.1.2680';
export const BLUETOOTH_MAC_SYSTEM = 'http://hl7.org/fhir/sid/eui-48/bluetooth';
export const PHD_OBSERVATION_IDENTIFIER_SYSTEM = 'http://hl7.org/fhir/uv/phd/StructureDefinition/PhdBaseObservation';
export const MDC_SYSTEM = 'urn:iso:std:iso:11073:10101';

/** MDC codes typing `Device.version[]` (hardware, software, firmware revision). */
export const MDC_VERSION_TYPES = { hardware: '531974', software: '531975', firmware: '531976' } as const;

/** MDC device specialisations (`Device.specialization.systemType`). */
export const MDC_SPECIALISATIONS = {
  bloodPressureMonitor: '528391',
  pulseOximeter: '528388',
  thermometer: '528392',
  weighingScale: '528399',
  glucoseMeter: '528401',
} as const;

/** A gateway upload: the patient and the device it read, and that device's readings. */
export interface GatewayUpload {
  /** Identified by NHS Number; created only when no Patient has it. */
  patient: Patient;
  /** Identified by EUI-64 (the system id); created only when no Device has it. */
  device: Device;
  /** Readings without subject, device or identifier: the bundle sets them. Each needs an MDC code and effectiveDateTime. */
  observations: Observation[];
}

function identifierOf(resource: Patient | Device, system: string, what: string): string {
  const value = resource.identifier?.find((identifier) => identifier.system === system)?.value;
  if (!value) {
    throw new Error(`a gateway upload's ${what} needs an identifier with system ${system}`);
  }
  return value;
}

/** `yyyyMMddHHmmss` in UTC of an ISO date-time. */
function compactUtc(dateTime: string): string {
  const ms = Date.parse(dateTime);
  if (Number.isNaN(ms)) {
    throw new Error(`not a date-time: ${dateTime}`);
  }
  return new Date(ms).toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

/** PHD IG de-duplication identifier: device id, patient id, the device's timestamp and the MDC type, joined by "-". */
export function phdObservationIdentifier(
  deviceId: string,
  patientId: string,
  effectiveDateTime: string,
  mdcCode: string
): Identifier {
  return {
    system: PHD_OBSERVATION_IDENTIFIER_SYSTEM,
    value: `${deviceId}-${patientId}-${compactUtc(effectiveDateTime)}-${mdcCode}`,
  };
}

/**
 * The upload as one transaction Bundle: conditional creates of Patient (NHS Number) and Device (EUI-64), then each
 * Observation as a conditional create on its PHD identifier, referring to the two by urn:uuid. Sent twice, it creates
 * nothing the second time.
 */
export function phdGatewayBundle(upload: GatewayUpload, newUuid: () => string = randomUUID): Bundle {
  const nhsNumber = identifierOf(upload.patient, NHS_NUMBER_SYSTEM, 'Patient');
  const eui64 = identifierOf(upload.device, EUI64_SYSTEM, 'Device');
  const patientUrl = `urn:uuid:${newUuid()}`;
  const deviceUrl = `urn:uuid:${newUuid()}`;
  const entries: BundleEntry[] = [
    {
      fullUrl: patientUrl,
      resource: upload.patient,
      request: { method: 'POST', url: 'Patient', ifNoneExist: `identifier=${NHS_NUMBER_SYSTEM}|${nhsNumber}` },
    },
    {
      fullUrl: deviceUrl,
      resource: { ...upload.device, patient: { reference: patientUrl } },
      request: { method: 'POST', url: 'Device', ifNoneExist: `identifier=${EUI64_SYSTEM}|${eui64}` },
    },
  ];
  for (const observation of upload.observations) {
    const mdc = observation.code.coding?.find((coding) => coding.system === MDC_SYSTEM)?.code;
    if (!mdc || !observation.effectiveDateTime) {
      throw new Error('every gateway Observation needs an MDC code and an effectiveDateTime');
    }
    const identifier = phdObservationIdentifier(eui64, nhsNumber, observation.effectiveDateTime, mdc);
    entries.push({
      fullUrl: `urn:uuid:${newUuid()}`,
      resource: {
        ...observation,
        identifier: [identifier],
        subject: { reference: patientUrl },
        device: { reference: deviceUrl },
      },
      request: {
        method: 'POST',
        url: 'Observation',
        ifNoneExist: `identifier=${identifier.system}|${identifier.value}`,
      },
    });
  }
  return { resourceType: 'Bundle', type: 'transaction', entry: entries };
}
