// The secure message thread between a patient and their care team: which Communications belong, in what order, and a new one.
import type { Communication, Reference, Resource } from '@medplum/fhirtypes';

export interface ThreadMessage {
  id: string;
  /** Who wrote it: the patient, or someone of the care team. */
  from: 'patient' | 'care team';
  author: string;
  text: string;
  /** When it was sent (ISO), else when it was stored. */
  sent?: string;
}

function refersTo(reference: Reference | undefined, target: string): boolean {
  const ref = reference?.reference ?? '';
  return ref === target || ref.endsWith(`/${target}`);
}

function nameOf(resource: Resource | undefined): string | undefined {
  if (!resource || !('name' in resource) || !Array.isArray(resource.name)) {
    return undefined;
  }
  const name = resource.name[0] as { given?: string[]; family?: string; text?: string } | undefined;
  return [name?.given?.join(' '), name?.family].filter(Boolean).join(' ') || name?.text;
}

/**
 * The messages of the thread, oldest first: Communications about the patient (`subject`) that the patient sent or
 * received, with text, not `entered-in-error`. Alert notifications to clinicians (no patient among sender and
 * recipients) are not messages. `people` are included senders (Practitioner, Patient) for their names.
 */
export function messageThread(
  communications: readonly Communication[],
  patientId: string,
  people: readonly Resource[] = []
): ThreadMessage[] {
  const patient = `Patient/${patientId}`;
  const byReference = new Map(people.map((r) => [`${r.resourceType}/${r.id}`, r]));
  return communications
    .filter((c) => c.id && c.status !== 'entered-in-error' && refersTo(c.subject, patient))
    .filter((c) => refersTo(c.sender, patient) || (c.recipient ?? []).some((r) => refersTo(r, patient)))
    .map((c): ThreadMessage => {
      const fromPatient = refersTo(c.sender, patient);
      const sender = c.sender?.reference ?? '';
      return {
        id: c.id as string,
        from: fromPatient ? 'patient' : 'care team',
        author: c.sender?.display ?? nameOf(byReference.get(sender)) ?? (fromPatient ? 'Patient' : 'Care team'),
        text: (c.payload ?? [])
          .map((p) => p.contentString ?? '')
          .filter(Boolean)
          .join('\n'),
        sent: c.sent ?? c.meta?.lastUpdated,
      };
    })
    .filter((m) => m.text)
    .sort((a, b) => (a.sent ?? '').localeCompare(b.sent ?? '') || a.id.localeCompare(b.id));
}

/** Longest message the app sends (the server's own limits are larger). */
export const MESSAGE_MAX_LENGTH = 2000;

/** A message from the signed-in clinician (`sender`, a Practitioner) to the patient, sent now. */
export function newMessage(patientId: string, sender: string, text: string, now: Date): Communication {
  return {
    resourceType: 'Communication',
    status: 'completed',
    subject: { reference: `Patient/${patientId}` },
    sender: { reference: sender },
    recipient: [{ reference: `Patient/${patientId}` }],
    sent: now.toISOString(),
    payload: [{ contentString: text.trim() }],
  };
}
