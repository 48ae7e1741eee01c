// The patient's message thread with their care team (Communication): order, who wrote, what is new, a new message.
import type { CareTeam, Communication, Reference } from '@medplum/fhirtypes';

/**
 * How often the thread (and the new-message count) is fetched again: the fallback when the server offers no
 * websocket Subscriptions, or the socket is down. With them, a new message shows at once (newMessages.tsx).
 */
export const POLL_INTERVAL_MS = 20_000;

/** The `reason` of the websocket Subscription the app creates for live messages (one per patient, reused). */
export const LIVE_REASON = 'Patient app live messages';

/** What the app listens to live: any change to a Communication addressed to the patient. */
export function liveCriteria(patientReference: string): string {
  return `Communication?recipient=${patientReference}`;
}

/** The longest message the send box takes. */
export const MAX_MESSAGE_LENGTH = 2000;

const sentAt = (c: Communication): number => Date.parse(c.sent ?? c.meta?.lastUpdated ?? '') || 0;

/** Oldest first (newest at the bottom), by `sent`; ties by id, so the order never jumps. */
export function sortThread(messages: readonly Communication[]): Communication[] {
  return [...messages].sort((a, b) => sentAt(a) - sentAt(b) || (a.id ?? '').localeCompare(b.id ?? ''));
}

/**
 * The patient's thread: Communications the patient sent or received, with text, not entered in error. Others about
 * the patient (alert notifications to clinicians, notes between staff) are not shown.
 */
export function threadMessages(messages: readonly Communication[], patientReference: string): Communication[] {
  return sortThread(
    messages.filter(
      (c) =>
        c.status !== 'entered-in-error' &&
        (c.payload ?? []).some((p) => p.contentString) &&
        (c.sender?.reference === patientReference || (c.recipient ?? []).some((r) => r.reference === patientReference))
    )
  );
}

export function isFromPatient(message: Communication, patientReference: string): boolean {
  return message.sender?.reference === patientReference;
}

/**
 * New for the patient: sent to them (they are a recipient, not the sender) and not yet received. FHIR R4
 * `Communication.received` is "the time when this communication arrived at the destination": the app sets it when the
 * message has been shown to the patient, so a message counts as new until the patient has seen it.
 */
export function isNewForPatient(message: Communication, patientReference: string): boolean {
  return (
    !message.received &&
    !isFromPatient(message, patientReference) &&
    (message.recipient ?? []).some((r) => r.reference === patientReference)
  );
}

/** How many messages of the thread are new for the patient (isNewForPatient). */
export function newMessageCount(messages: readonly Communication[], patientReference: string): number {
  return threadMessages(messages, patientReference).filter((m) => isNewForPatient(m, patientReference)).length;
}

/** The words for the count, for the menu and screen readers: "1 new message", "3 new messages". */
export function newMessagesWords(count: number): string {
  return count === 1 ? '1 new message' : `${count} new messages`;
}

export function messageText(message: Communication): string {
  return (message.payload ?? [])
    .map((p) => p.contentString)
    .filter(Boolean)
    .join('\n');
}

/**
 * Who a message to the care team goes to: the Practitioners (and PractitionerRoles) on the patient's active
 * CareTeams, each once; a team with no such member is addressed as the CareTeam itself.
 */
export function careTeamRecipients(careTeams: readonly CareTeam[]): Reference[] {
  const found = new Map<string, Reference>();
  for (const team of careTeams.filter((t) => !t.status || t.status === 'active')) {
    const members: Reference[] = (team.participant ?? [])
      .map((p): Reference => ({ reference: p.member?.reference, display: p.member?.display }))
      .filter((m) => /^(Practitioner|PractitionerRole)\//.test(m.reference ?? ''));
    const teamItself: Reference[] = team.id ? [{ reference: `CareTeam/${team.id}` }] : [];
    for (const member of members.length ? members : teamItself) {
      found.set(member.reference as string, member);
    }
  }
  return [...found.values()];
}

/** A problem with the typed message, in plain words, or undefined. */
export function messageProblem(text: string): string | undefined {
  if (!text.trim()) {
    return 'Please write your message first.';
  }
  if (text.length > MAX_MESSAGE_LENGTH) {
    return `Your message is too long. Please keep it under ${MAX_MESSAGE_LENGTH} letters.`;
  }
  return undefined;
}

/** The Communication the patient sends: about themselves, from themselves, to their care team, sent now. */
export function newMessage(input: {
  text: string;
  patientReference: string;
  recipients: readonly Reference[];
  now: Date;
}): Communication {
  return {
    resourceType: 'Communication',
    status: 'completed',
    subject: { reference: input.patientReference },
    sender: { reference: input.patientReference },
    recipient: input.recipients.map((r) => ({ reference: r.reference })),
    sent: input.now.toISOString(),
    payload: [{ contentString: input.text.trim() }],
  };
}
