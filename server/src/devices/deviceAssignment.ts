// Whether a reading may come from a device: a Device assigned to one patient (Device.patient) reads only for that patient.
import type { Device, Observation } from '@medplum/fhirtypes';

/**
 * Why an Observation may not name this Device, or undefined when it may. A Device without `patient` is accepted (a
 * gateway creates the Device and its patient's readings in one transaction, and stock not yet assigned has none).
 * `hideOtherPatient`: the refusal does not name the device's patient (user tokens, who may not reach that patient).
 */
export function deviceAssignmentProblem(
  observation: Observation,
  device: Device,
  hideOtherPatient: boolean
): string | undefined {
  const holder = device.patient?.reference;
  const subject = observation.subject?.reference;
  if (!holder || !subject || holder === subject) {
    return undefined;
  }
  const deviceRef = `Device/${device.id}`;
  const assignedTo = hideOtherPatient ? 'another patient' : holder;
  return `${deviceRef} is assigned to ${assignedTo}, not to the reading's subject ${subject}: a reading from a device assigned to someone else is refused (assign the device to ${subject} first with POST ${deviceRef}/$assign)`;
}
