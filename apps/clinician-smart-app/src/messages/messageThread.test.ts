// The message thread: only patient–care team messages, oldest first, authors by name; read state; a new message's shape.
import type { Communication } from '@medplum/fhirtypes';
import { describe, expect, test } from 'vitest';
import { messageThread, newMessage, readState, unreadFromPatient, type ThreadMessage } from './messageThread.ts';

const message = (id: string, sent: string, changes: Partial<Communication>): Communication => ({
  resourceType: 'Communication',
  id,
  status: 'completed',
  subject: { reference: 'Patient/p1' },
  sent,
  payload: [{ contentString: `text ${id}` }],
  ...changes,
});

describe('messageThread', () => {
  test('messages to and from the patient, oldest first, with the sender named', () => {
    const thread = messageThread(
      [
        message('b', '2026-03-12T10:05:00Z', {
          sender: { reference: 'Patient/p1' },
          recipient: [{ reference: 'Practitioner/d' }],
        }),
        message('a', '2026-03-12T10:00:00Z', {
          sender: { reference: 'Practitioner/d' },
          recipient: [{ reference: 'Patient/p1' }],
        }),
        // An alert notification to a clinician is not part of the thread.
        message('n', '2026-03-12T10:01:00Z', { status: 'preparation', recipient: [{ reference: 'Practitioner/d' }] }),
        message('x', '2026-03-12T10:02:00Z', {
          status: 'entered-in-error',
          sender: { reference: 'Patient/p1' },
        }),
        message('o', '2026-03-12T10:03:00Z', {
          subject: { reference: 'Patient/p2' },
          sender: { reference: 'Patient/p2' },
        }),
      ],
      'p1',
      [
        { resourceType: 'Practitioner', id: 'd', name: [{ given: ['Sam'], family: 'Bennett' }] },
        { resourceType: 'Patient', id: 'p1', name: [{ given: ['Grace'], family: 'Okafor' }] },
      ]
    );
    expect(thread).toEqual([
      { id: 'a', from: 'care team', author: 'Sam Bennett', text: 'text a', sent: '2026-03-12T10:00:00Z' },
      { id: 'b', from: 'patient', author: 'Grace Okafor', text: 'text b', sent: '2026-03-12T10:05:00Z' },
    ]);
  });

  test('without a sent time the stored time orders it; without text it is left out', () => {
    const thread = messageThread(
      [
        message('late', '', {
          sent: undefined,
          meta: { lastUpdated: '2026-03-12T11:00:00Z' },
          sender: { reference: 'Patient/p1' },
        }),
        message('early', '2026-03-12T09:00:00Z', { sender: { reference: 'Patient/p1' } }),
        message('empty', '2026-03-12T09:30:00Z', { sender: { reference: 'Patient/p1' }, payload: [] }),
      ],
      'p1'
    );
    expect(thread.map((m) => [m.id, m.author])).toEqual([
      ['early', 'Patient'],
      ['late', 'Patient'],
    ]);
  });
});

describe('read state', () => {
  test("the patient's unread messages to the care team are the ones to mark received", () => {
    const unread = unreadFromPatient(
      [
        message('new', '2026-03-12T10:00:00Z', { sender: { reference: 'Patient/p1' } }),
        message('seen', '2026-03-12T10:01:00Z', {
          sender: { reference: 'Patient/p1' },
          received: '2026-03-12T10:02:00Z',
        }),
        // The care team's own message: the patient marks it, not the clinician.
        message('mine', '2026-03-12T10:03:00Z', { sender: { reference: 'Practitioner/d' } }),
        message('error', '2026-03-12T10:04:00Z', { sender: { reference: 'Patient/p1' }, status: 'entered-in-error' }),
        message('empty', '2026-03-12T10:05:00Z', { sender: { reference: 'Patient/p1' }, payload: [] }),
        message('other', '2026-03-12T10:06:00Z', {
          subject: { reference: 'Patient/p2' },
          sender: { reference: 'Patient/p2' },
        }),
      ],
      'p1'
    );
    expect(unread.map((c) => c.id)).toEqual(['new']);
  });

  test('a care-team message says in words whether the patient has read it, and when', () => {
    const thread = messageThread(
      [
        message('read', '2026-03-12T10:00:00Z', {
          sender: { reference: 'Practitioner/d' },
          recipient: [{ reference: 'Patient/p1' }],
          received: '2026-03-12T14:05:00',
        }),
        message('waiting', '2026-03-12T10:10:00Z', {
          sender: { reference: 'Practitioner/d' },
          recipient: [{ reference: 'Patient/p1' }],
        }),
        message('theirs', '2026-03-12T10:20:00Z', {
          sender: { reference: 'Patient/p1' },
          received: '2026-03-12T10:21:00Z',
        }),
      ],
      'p1'
    );
    const [read, waiting, theirs] = thread;
    expect(read.received).toBe('2026-03-12T14:05:00');
    // Local times (no zone in `received` above): the same day shows the time only, another day the date too.
    expect(readState(read, new Date('2026-03-12T18:00:00'))).toBe('Read 14:05');
    expect(readState(read, new Date('2026-03-14T09:00:00'))).toBe('Read 12 Mar, 14:05');
    expect(readState(waiting, new Date('2026-03-12T18:00:00'))).toBe('Not read yet');
    // The patient's own messages have no read state on the clinician's screen.
    expect(readState(theirs as ThreadMessage, new Date('2026-03-12T18:00:00'))).toBeUndefined();
  });
});

describe('newMessage', () => {
  test('a completed Communication from the clinician to the patient about the patient', () => {
    expect(
      newMessage('p1', 'Practitioner/d', '  Please repeat your reading. ', new Date('2026-03-12T10:00:00Z'))
    ).toEqual({
      resourceType: 'Communication',
      status: 'completed',
      subject: { reference: 'Patient/p1' },
      sender: { reference: 'Practitioner/d' },
      recipient: [{ reference: 'Patient/p1' }],
      sent: '2026-03-12T10:00:00.000Z',
      payload: [{ contentString: 'Please repeat your reading.' }],
    });
  });
});
