// The message thread's rules: newest at the bottom, what counts as new, who a message goes to, the message sent.
import type { CareTeam, Communication } from '@medplum/fhirtypes';
import { describe, expect, test } from 'vitest';
import {
  careTeamRecipients,
  isNewForPatient,
  liveCriteria,
  messageProblem,
  newMessage,
  newMessageCount,
  newMessagesWords,
  threadMessages,
} from './messageThread.ts';

const ME = 'Patient/p';

function message(
  id: string,
  sent: string,
  from: string,
  to: string,
  extra: Partial<Communication> = {}
): Communication {
  return {
    resourceType: 'Communication',
    id,
    status: 'completed',
    subject: { reference: ME },
    sender: { reference: from },
    recipient: [{ reference: to }],
    sent,
    payload: [{ contentString: `text ${id}` }],
    ...extra,
  };
}

describe('threadMessages', () => {
  test('oldest first, newest at the bottom; entered-in-error, no text, or not to or from the patient left out', () => {
    const thread = threadMessages(
      [
        message('b', '2026-11-24T10:00:00Z', 'Practitioner/n', ME),
        message('a', '2026-11-24T09:00:00Z', ME, 'Practitioner/n'),
        message('c', '2026-11-24T11:00:00Z', ME, 'Practitioner/n', { status: 'entered-in-error' }),
        message('d', '2026-11-24T12:00:00Z', 'Practitioner/n', ME, { payload: [] }),
        // An alert notification about the patient, to a clinician: not part of the patient's thread.
        message('e', '2026-11-24T12:30:00Z', 'Device/server', 'Practitioner/n'),
      ],
      ME
    );
    expect(thread.map((m) => m.id)).toEqual(['a', 'b']);
  });
});

describe('isNewForPatient', () => {
  test('a message to the patient without received is new; once received, or sent by the patient, it is not', () => {
    expect(isNewForPatient(message('1', '2026-11-24T10:00:00Z', 'Practitioner/n', ME), ME)).toBe(true);
    expect(
      isNewForPatient(
        message('2', '2026-11-24T10:00:00Z', 'Practitioner/n', ME, { received: '2026-11-24T10:05:00Z' }),
        ME
      )
    ).toBe(false);
    expect(isNewForPatient(message('3', '2026-11-24T10:00:00Z', ME, 'Practitioner/n'), ME)).toBe(false);
    // About the patient but addressed to someone else (e.g. a note between clinicians): not a message to them.
    expect(isNewForPatient(message('4', '2026-11-24T10:00:00Z', 'Practitioner/n', 'Practitioner/m'), ME)).toBe(false);
  });
});

describe('the new-message mark', () => {
  test('counts the thread messages new for the patient, and says it in words', () => {
    const messages = [
      message('1', '2026-11-24T10:00:00Z', 'Practitioner/n', ME),
      message('2', '2026-11-24T10:01:00Z', 'Practitioner/n', ME),
      message('3', '2026-11-24T10:02:00Z', 'Practitioner/n', ME, { received: '2026-11-24T10:05:00Z' }),
      message('4', '2026-11-24T10:03:00Z', 'Practitioner/n', ME, { status: 'entered-in-error' }),
      message('5', '2026-11-24T10:04:00Z', ME, 'Practitioner/n'),
    ];
    expect(newMessageCount(messages, ME)).toBe(2);
    expect(newMessageCount([], ME)).toBe(0);
    expect(newMessagesWords(1)).toBe('1 new message');
    expect(newMessagesWords(2)).toBe('2 new messages');
  });

  test('listens live to messages addressed to the patient', () => {
    expect(liveCriteria(ME)).toBe('Communication?recipient=Patient/p');
  });
});

describe('careTeamRecipients', () => {
  test('the practitioners of active care teams, once; a team without one is addressed itself', () => {
    const team = (id: string, members: string[], status: CareTeam['status'] = 'active'): CareTeam => ({
      resourceType: 'CareTeam',
      id,
      status,
      participant: members.map((reference) => ({ member: { reference } })),
    });
    expect(
      careTeamRecipients([
        team('t1', ['Practitioner/n', 'Patient/p']),
        team('t2', ['Practitioner/n', 'PractitionerRole/r']),
        team('t3', ['Organization/o']),
        team('t4', ['Practitioner/old'], 'inactive'),
      ]).map((r) => r.reference)
    ).toEqual(['Practitioner/n', 'PractitionerRole/r', 'CareTeam/t3']);
  });
});

describe('newMessage', () => {
  test('about and from the patient, to the care team, sent now, trimmed text', () => {
    expect(
      newMessage({
        text: '  My ankles are swollen.  ',
        patientReference: ME,
        recipients: [{ reference: 'Practitioner/n', display: 'Nurse' }],
        now: new Date('2026-11-24T10:00:00Z'),
      })
    ).toEqual({
      resourceType: 'Communication',
      status: 'completed',
      subject: { reference: ME },
      sender: { reference: ME },
      recipient: [{ reference: 'Practitioner/n' }],
      sent: '2026-11-24T10:00:00.000Z',
      payload: [{ contentString: 'My ankles are swollen.' }],
    });
  });

  test('an empty or very long message is refused in plain words', () => {
    expect(messageProblem('   ')).toBe('Please write your message first.');
    expect(messageProblem('x'.repeat(2001))).toMatch(/too long/);
    expect(messageProblem('Hello')).toBeUndefined();
  });
});
