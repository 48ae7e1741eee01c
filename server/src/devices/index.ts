// The device registry's operations: assigning devices to patients and a device's status (last contact, calibration).
import type { FhirRouter } from '@medplum/fhir-router';
import { assignDeviceOperation, unassignDeviceOperation } from './assignDevice.ts';
import { deviceStatusOperation } from './deviceStatus.ts';

/** Adds POST Device/[id]/$assign, POST Device/[id]/$unassign and GET Device/[id]/$status (interaction "operation"). */
export function registerDeviceOperations(router: FhirRouter): void {
  router.add('POST', 'Device/:id/$assign', assignDeviceOperation, 'operation');
  router.add('POST', 'Device/:id/$unassign', unassignDeviceOperation, 'operation');
  router.add('GET', 'Device/:id/$status', deviceStatusOperation, 'operation');
}
