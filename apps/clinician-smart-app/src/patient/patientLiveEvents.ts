// What a burst of live notifications means for an open patient view: reload the record, the messages, and the cue.
import type { Communication, DetectedIssue, Observation } from '@medplum/fhirtypes';
import { patientIdOf } from '../fhir/readings.ts';
import type { LiveEvent } from '../../../shared/fhirLive/liveChannel.ts';

/** The patient view follows alerts, readings and messages (one websocket Subscription each, reused). */
export const PATIENT_LIVE_CRITERIA: readonly string[] = ['DetectedIssue', 'Observation', 'Communication'];

/** Whose a notified resource is: an alert's `patient`, a reading's or a message's `subject`. */
function patientOf(event: LiveEvent): string | undefined {
  const resource = event.resource;
  switch (resource?.resourceType) {
    case 'DetectedIssue':
      return patientIdOf((resource as DetectedIssue).patient);
    case 'Observation':
      return patientIdOf((resource as Observation).subject);
    case 'Communication':
      return patientIdOf((resource as Communication).subject);
    default:
      return undefined;
  }
}

/**
 * For patient `patientId`: reload the record (a reading or alert of theirs, or a delete, which does not say whose),
 * reload the messages (a Communication about them, or a delete), and the cue ("New alert", "New message from the
 * patient", "New reading"; alerts first). Other patients' changes are ignored.
 */
export function patientLiveChanges(
  events: readonly LiveEvent[],
  patientId: string
): { record: boolean; messages: boolean; cue?: string } {
  let record = false;
  let messages = false;
  let alert = false;
  let reading = false;
  let fromPatient = false;
  for (const event of events) {
    if (!event.resource) {
      record = true;
      messages = true;
      continue;
    }
    if (patientOf(event) !== patientId) {
      continue;
    }
    const type = event.resource.resourceType;
    if (type === 'Communication') {
      messages = true;
      // A new one (not an update: marking a message as read is one, by either side).
      fromPatient ||= event.method !== 'PUT' && patientIdOf((event.resource as Communication).sender) === patientId;
    } else {
      record = true;
      alert ||= type === 'DetectedIssue';
      reading ||= type === 'Observation';
    }
  }
  const cue = alert
    ? 'Alerts updated for this patient.'
    : fromPatient
      ? 'New message from the patient.'
      : reading
        ? 'New reading for this patient.'
        : undefined;
  return { record, messages, cue };
}
