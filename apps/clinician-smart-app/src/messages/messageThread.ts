// The secure message thread between a patient and their care team: which Communications belong, in what order, read state, and a new one.
import type { Communication, Reference, Resource } from '@medplum/fhirtypes';

export interface ThreadMessage {
  id: string;
  /** Who wrote it: the patient, or someone of the care team. */
  from: 'patient' | 'care team';
  author: string;
  text: string;
  /** When it was sent (ISO), else when it was stored. */
  sent?: string;
  /** When the recipient read it (`Communication.received`), if they have. */
  received?: string;
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
        ...(c.received ? { received: c.received } : {}),
      };
    })
    .filter((m) => m.text)
    .sort((a, b) => (a.sent ?? '').localeCompare(b.sent ?? '') || a.id.localeCompare(b.id));
}

/**
 * The patient's messages to the care team that nobody on the team has opened yet: sent by the patient (about
 * themselves), with text, not `entered-in-error`, without `received`. Viewing the thread marks them received (FHIR R4
 * `Communication.received`: when it arrived at the destination; the patient app uses it the same way).
 */
export function unreadFromPatient(communications: readonly Communication[], patientId: string): Communication[] {
  const patient = `Patient/${patientId}`;
  return communications.filter(
    (c) =>
      c.id &&
      !c.received &&
      c.status !== 'entered-in-error' &&
      refersTo(c.subject, patient) &&
      refersTo(c.sender, patient) &&
      (c.payload ?? []).some((p) => p.contentString)
  );
}

const CLOCK = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit' });
const DAY_AND_CLOCK = new Intl.DateTimeFormat('en-GB', {
  day: 'numeric',
  month: 'short',
  hour: '2-digit',
  minute: '2-digit',
});

/**
 * Whether the patient has read a care-team message, in words: "Read 14:05" (today), "Read 23 Nov, 14:05" (before),
 * or "Not read yet". Nothing for the patient's own messages.
 */
export function readState(message: ThreadMessage, now: Date): string | undefined {
  if (message.from !== 'care team') {
    return undefined;
  }
  const read = Date.parse(message.received ?? '');
  if (Number.isNaN(read)) {
    return 'Not read yet';
  }
  const sameDay = new Date(read).toDateString() === now.toDateString();
  return `Read ${(sameDay ? CLOCK : DAY_AND_CLOCK).format(read)}`;
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
