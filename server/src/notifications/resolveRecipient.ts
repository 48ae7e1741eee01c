// Reads a notification's recipient and finds its address for the medium (a PractitionerRole falls back to its Practitioner).
import { isGone, isNotFound, OperationOutcomeError } from '@medplum/core';
import type { FhirRepository } from '@medplum/fhir-router';
import type { Reference } from '@medplum/fhirtypes';
import type { NotificationMedium } from './buildNotification.ts';
import { RECIPIENT_TYPES, recipientAddress, type RecipientResource } from './recipientAddress.ts';

/** Where to send, or why there is nowhere to send (a reason for status 'not-done'). */
export type RecipientResolution = { address: string } | { missing: string };

const RELATIVE_REFERENCE = /^([A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})$/;

export async function resolveRecipient(
  repo: FhirRepository,
  recipient: Reference | undefined,
  medium: NotificationMedium
): Promise<RecipientResolution> {
  const reference = recipient?.reference;
  const match = reference ? RELATIVE_REFERENCE.exec(reference) : null;
  if (!reference || !match || !RECIPIENT_TYPES.has(match[1])) {
    return {
      missing: `The recipient ${reference ?? '(none)'} is not a reference to a Practitioner, PractitionerRole, Patient or RelatedPerson`,
    };
  }
  const resource = await readRecipient(repo, match[1], match[2]);
  if (!resource) {
    return { missing: `The recipient ${reference} does not exist` };
  }
  let address = recipientAddress(resource, medium);
  if (!address && resource.resourceType === 'PractitionerRole' && resource.practitioner?.reference) {
    const practitioner = RELATIVE_REFERENCE.exec(resource.practitioner.reference);
    const person =
      practitioner?.[1] === 'Practitioner' ? await readRecipient(repo, 'Practitioner', practitioner[2]) : undefined;
    address = person ? recipientAddress(person, medium) : undefined;
  }
  if (!address) {
    const wanted =
      medium === 'email'
        ? "email address (telecom system 'email')"
        : "mobile number (telecom system 'sms', or 'phone' with use 'mobile')";
    return { missing: `The recipient ${reference} has no ${wanted}` };
  }
  return { address };
}

async function readRecipient(
  repo: FhirRepository,
  resourceType: string,
  id: string
): Promise<RecipientResource | undefined> {
  try {
    return await repo.readResource<RecipientResource>(resourceType, id);
  } catch (error) {
    if (error instanceof OperationOutcomeError && (isNotFound(error.outcome) || isGone(error.outcome))) {
      return undefined;
    }
    throw error;
  }
}
