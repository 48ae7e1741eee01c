// The devices the patient has used: their Device resources on the server, each with its newest reading's time.
import type { MedplumClient } from '@medplum/core';
import type { Device, Observation } from '@medplum/fhirtypes';

/** One device as the Devices screen lists it, in plain words. */
export interface MyDevice {
  id: string;
  /** The name the patient knows it by (its Bluetooth name), else its model or type. */
  name: string;
  /** Maker and model, e.g. "Acme BP-1"; undefined when the device did not say. */
  model?: string;
  /** When its newest reading was taken (ISO); undefined before the first. */
  lastReadingAt?: string;
}

/** The words for one Device and its newest reading. */
export function myDevice(device: Device, lastReading: Observation | undefined): MyDevice {
  const model = [device.manufacturer, device.modelNumber].filter(Boolean).join(' ') || undefined;
  const name =
    device.deviceName?.find((n) => n.name)?.name ?? model ?? device.type?.text ?? device.serialNumber ?? 'Device';
  return {
    id: device.id as string,
    name,
    ...(model && model !== name ? { model } : {}),
    ...(lastReading?.effectiveDateTime ? { lastReadingAt: lastReading.effectiveDateTime } : {}),
  };
}

/** Newest reading first; devices not used yet last. */
export function byLastReading(a: MyDevice, b: MyDevice): number {
  return (b.lastReadingAt ?? '').localeCompare(a.lastReadingAt ?? '') || a.name.localeCompare(b.name);
}

/**
 * The patient's Devices (`Device?patient=`), and for each its newest reading (`Observation?subject=&device=`,
 * sorted by date, one result): one search plus one per device (a patient has a few).
 */
export async function loadMyDevices(medplum: MedplumClient, patientReference: string): Promise<MyDevice[]> {
  const devices = await medplum.searchResources('Device', { patient: patientReference, _count: '50' });
  const summaries = await Promise.all(
    devices.map(async (device) => {
      const [last] = await medplum.searchResources('Observation', {
        subject: patientReference,
        device: `Device/${device.id}`,
        _sort: '-date',
        _count: '1',
      });
      return myDevice(device, last);
    })
  );
  return summaries.sort(byLastReading);
}
