// Messages: the thread with the care team (newest at the bottom, new ones marked, live), and a box to write to them.
import { Badge, Button, Card, Group, Loader, Stack, Text, Textarea, Title } from '@mantine/core';
import { formatHumanName, type MedplumClient } from '@medplum/core';
import type { CareTeam, Communication, Practitioner, Reference } from '@medplum/fhirtypes';
import { useMedplum } from '@medplum/react';
import { useCallback, useEffect, useRef, useState, type FormEvent } from 'react';
import { Notice } from '../ui/Notice.tsx';
import { usePatientContext } from '../smart/usePatientContext.tsx';
import { formatDateTime } from '../../../shared/ui/formatTime.ts';
import { plainError } from '../ui/plainError.ts';
import { useDraft } from '../ui/useDraft.ts';
import {
  careTeamRecipients,
  isFromPatient,
  isNewForPatient,
  messageProblem,
  messageText,
  newMessage,
  POLL_INTERVAL_MS,
  threadMessages,
} from './messageThread.ts';
import { useNewMessages } from './newMessages.tsx';

interface Thread {
  messages: Communication[];
  recipients: Reference[];
  names: Record<string, string>;
}

async function senderNames(
  medplum: MedplumClient,
  messages: readonly Communication[]
): Promise<Record<string, string>> {
  const refs = [...new Set(messages.map((m) => m.sender?.reference).filter((r): r is string => !!r))];
  const names: Record<string, string> = {};
  await Promise.all(
    refs
      .filter((ref) => ref.startsWith('Practitioner/'))
      .map(async (ref) => {
        const practitioner = await medplum.readReference<Practitioner>({ reference: ref }).catch(() => undefined);
        const name = practitioner?.name?.[0];
        if (name) {
          names[ref] = formatHumanName(name, { prefix: true });
        }
      })
  );
  return names;
}

async function loadThread(medplum: MedplumClient, patientReference: string): Promise<Thread> {
  const [messages, careTeams] = await Promise.all([
    medplum.searchResources('Communication', { subject: patientReference, _count: '200' }, { cache: 'no-cache' }),
    medplum.searchResources('CareTeam', { subject: patientReference, _count: '20' }, { cache: 'no-cache' }),
  ]);
  const thread = threadMessages(messages, patientReference);
  return {
    messages: thread,
    recipients: careTeamRecipients(careTeams as CareTeam[]),
    names: await senderNames(medplum, thread),
  };
}

function Bubble(props: { message: Communication; mine: boolean; isNew: boolean; from: string }) {
  const { message, mine, isNew, from } = props;
  return (
    <Card
      component="li"
      withBorder
      padding="sm"
      bg={mine ? 'blue.0' : 'white'}
      ml={mine ? 'xl' : 0}
      mr={mine ? 0 : 'xl'}
      data-testid="message"
    >
      <Group justify="space-between" wrap="nowrap" gap="xs">
        <Text fw={700} size="sm">
          {mine ? 'You' : from}
        </Text>
        {isNew ? (
          <Badge color="blue.9" variant="filled">
            New
          </Badge>
        ) : null}
      </Group>
      <Text style={{ whiteSpace: 'pre-wrap' }}>{messageText(message)}</Text>
      <Text size="sm" c="dimmed">
        {formatDateTime(message.sent)}
      </Text>
    </Card>
  );
}

export default function MessagesPage() {
  const medplum = useMedplum();
  const { patientReference } = usePatientContext();
  const [thread, setThread] = useState<Thread | undefined>();
  const [loadError, setLoadError] = useState<string | undefined>();
  const [draft, setDraft] = useDraft('message');
  const [problem, setProblem] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const [sentNote, setSentNote] = useState(false);
  /** Messages that were new when this screen showed them: still marked "New" while the screen is open. */
  const [shownNew, setShownNew] = useState<ReadonlySet<string>>(new Set());
  const marking = useRef(new Set<string>());
  const { changes, recount } = useNewMessages();

  const refresh = useCallback(async (): Promise<void> => {
    try {
      const loaded = await loadThread(medplum, patientReference);
      setThread(loaded);
      setLoadError(undefined);
      const fresh = loaded.messages.filter((m) => isNewForPatient(m, patientReference) && m.id);
      if (fresh.length) {
        setShownNew((before) => new Set([...before, ...fresh.map((m) => m.id as string)]));
      }
      // Shown now: record when the patient received them (Communication.received); then the menu's count drops.
      const marks = fresh
        .filter((m) => !marking.current.has(m.id as string))
        .map((message) => {
          marking.current.add(message.id as string);
          return medplum
            .updateResource<Communication>({ ...message, received: new Date().toISOString() })
            .catch(() => marking.current.delete(message.id as string));
        });
      if (marks.length) {
        void Promise.all(marks).then(recount);
      }
    } catch (err) {
      setLoadError(plainError(err));
    }
  }, [medplum, patientReference, recount]);

  useEffect(() => {
    void refresh();
    const timer = setInterval(() => void refresh(), POLL_INTERVAL_MS);
    return () => clearInterval(timer);
  }, [refresh]);

  // A message to the patient changed on the server (live): load the thread now rather than at the next poll.
  const changesSeen = useRef(changes);
  useEffect(() => {
    if (changes !== changesSeen.current) {
      changesSeen.current = changes;
      void refresh();
    }
  }, [changes, refresh]);

  const send = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    setSentNote(false);
    const found = messageProblem(draft);
    setProblem(found);
    if (found) {
      document.getElementById('message-text')?.focus();
      return;
    }
    if (!thread?.recipients.length) {
      setProblem('We do not know who your care team is yet, so this cannot be sent. Please phone them.');
      return;
    }
    setBusy(true);
    try {
      await medplum.createResource(
        newMessage({ text: draft, patientReference, recipients: thread.recipients, now: new Date() })
      );
      setDraft('');
      await refresh();
      setSentNote(true);
    } catch (err) {
      // The text stays in the box (and in the draft) to send again.
      setProblem(`${plainError(err)} Your message is still in the box.`);
    } finally {
      setBusy(false);
    }
  };

  const newCount = thread?.messages.filter((m) => m.id && shownNew.has(m.id)).length ?? 0;
  return (
    <Stack gap="md">
      <Title order={1}>Messages</Title>
      <Text>
        Write to your care team. They usually reply within a working day. If it is urgent, phone them or call 999.
      </Text>
      {loadError ? (
        <Notice kind="problem" title="We could not load your messages" role="alert">
          <Text>{loadError}</Text>
        </Notice>
      ) : null}
      <Text role="status" fw={newCount ? 700 : 400}>
        {newCount === 0 ? '' : newCount === 1 ? 'You have 1 new message.' : `You have ${newCount} new messages.`}
      </Text>
      {!thread && !loadError ? <Loader role="status" aria-label="Loading your messages" /> : null}
      {thread && thread.messages.length === 0 ? <Text>No messages yet.</Text> : null}
      {thread ? (
        <Stack
          component="ol"
          gap="sm"
          aria-label="Your messages, oldest first"
          style={{ listStyle: 'none', padding: 0, margin: 0 }}
        >
          {thread.messages.map((message) => (
            <Bubble
              key={message.id}
              message={message}
              mine={isFromPatient(message, patientReference)}
              isNew={!!message.id && shownNew.has(message.id)}
              from={thread.names[message.sender?.reference ?? ''] ?? message.sender?.display ?? 'Your care team'}
            />
          ))}
        </Stack>
      ) : null}
      <form onSubmit={(event) => void send(event)} noValidate>
        <Stack gap="sm">
          <Textarea
            id="message-text"
            label="Write a message to your care team"
            size="lg"
            autosize
            minRows={3}
            value={draft}
            error={problem}
            onChange={(event) => {
              setDraft(event.currentTarget.value);
              setSentNote(false);
            }}
          />
          {sentNote ? (
            <Text role="status" fw={700}>
              ✓ Your message has been sent.
            </Text>
          ) : null}
          <Button type="submit" loading={busy} fullWidth>
            Send message
          </Button>
        </Stack>
      </form>
    </Stack>
  );
}
