// The secure message thread with the patient (Communication): read (and mark read), send, new messages as they arrive.
import { Alert, Button, Group, Paper, Stack, Text, Textarea, Title } from '@mantine/core';
import type { Communication, Resource } from '@medplum/fhirtypes';
import { useMedplum } from '@medplum/react';
import { useCallback, useEffect, useRef, useState } from 'react';
import { useLaunchContext } from '../smart/useLaunchContext.tsx';
import { formatDateTime } from '../../../shared/ui/formatTime.ts';
import { plainError } from '../ui/plainError.ts';
import { useDraft } from '../ui/useDraft.ts';
import {
  MESSAGE_MAX_LENGTH,
  messageThread,
  newMessage,
  readState,
  unreadFromPatient,
  type ThreadMessage,
} from './messageThread.ts';

/** The patient's Communications, newest 200, with their senders (for names); and the patient's unread messages. */
async function loadThread(
  medplum: ReturnType<typeof useMedplum>,
  patientId: string
): Promise<{ messages: ThreadMessage[]; unread: Communication[] }> {
  const bundle = await medplum.search('Communication', {
    subject: `Patient/${patientId}`,
    _sort: '-sent',
    _count: '200',
    _include: 'Communication:sender',
  });
  const resources: Resource[] = (bundle.entry ?? []).flatMap((e) => (e.resource ? [e.resource as Resource] : []));
  const communications = resources.filter((r) => r.resourceType === 'Communication') as Communication[];
  return {
    messages: messageThread(communications, patientId, resources),
    unread: unreadFromPatient(communications, patientId),
  };
}

export function MessagesPanel(props: {
  patientId: string;
  /** Changes when a live notification says a Communication about this patient was written. */
  refreshKey: number;
}) {
  const medplum = useMedplum();
  const { fhirUser } = useLaunchContext();
  const [messages, setMessages] = useState<ThreadMessage[]>();
  const [loadError, setLoadError] = useState<string>();
  const [text, setText] = useDraft(`message:${props.patientId}`);
  const [textError, setTextError] = useState<string>();
  const [sendError, setSendError] = useState<string>();
  const [result, setResult] = useState<string>();
  const [sending, setSending] = useState(false);
  /** The patient's messages this view has marked as received (once each, whatever the answer). */
  const marked = useRef(new Set<string>());

  const load = useCallback(async () => {
    try {
      const thread = await loadThread(medplum, props.patientId);
      setMessages(thread.messages);
      setLoadError(undefined);
      // Seen now by the care team: the patient's messages are received (their app shows nothing of it).
      for (const message of thread.unread.filter((m) => !marked.current.has(m.id as string))) {
        marked.current.add(message.id as string);
        medplum
          .updateResource<Communication>({ ...message, received: new Date().toISOString() })
          .catch(() => undefined);
      }
    } catch (err) {
      setLoadError(plainError(err));
    }
  }, [medplum, props.patientId]);

  useEffect(() => {
    void load();
  }, [load, props.refreshKey]);

  async function send(): Promise<void> {
    if (!text.trim()) {
      setTextError('Write a message before sending.');
      return;
    }
    if (!fhirUser?.startsWith('Practitioner/')) {
      setSendError('Only a clinician signed in as a Practitioner can send messages to the patient.');
      return;
    }
    setTextError(undefined);
    setSendError(undefined);
    setResult(undefined);
    setSending(true);
    try {
      await medplum.createResource(newMessage(props.patientId, fhirUser, text, new Date()));
      setText('');
      setResult('Message sent.');
      await load();
    } catch (err) {
      setSendError(plainError(err));
    } finally {
      setSending(false);
    }
  }

  return (
    <Stack gap="sm" component="section" aria-labelledby="messages-heading">
      <Title order={2} size="h4" id="messages-heading">
        Messages with the patient
      </Title>
      {loadError ? (
        <Alert color="red" title="Messages could not be loaded" role="alert">
          {loadError}
        </Alert>
      ) : null}
      <Stack gap="xs" role="log" aria-label="Message thread" aria-live="polite" data-testid="message-thread">
        {messages?.length === 0 ? <Text>No messages yet.</Text> : null}
        {messages?.map((m) => (
          <Paper
            key={m.id}
            withBorder
            p="xs"
            bg={m.from === 'patient' ? 'gray.0' : 'blue.0'}
            ml={m.from === 'patient' ? 0 : 'xl'}
            mr={m.from === 'patient' ? 'xl' : 0}
            data-from={m.from}
          >
            <Text size="xs" c="dark.6">
              {m.author} ({m.from === 'patient' ? 'patient' : 'care team'}), {formatDateTime(m.sent)}
              {m.from === 'care team' ? (
                <>
                  {'. '}
                  <Text span inherit fw={700} data-testid="read-state">
                    {readState(m, new Date())}
                  </Text>
                </>
              ) : null}
            </Text>
            <Text size="sm" style={{ whiteSpace: 'pre-wrap' }}>
              {m.text}
            </Text>
          </Paper>
        ))}
      </Stack>
      <Textarea
        label="New message to the patient"
        description="The patient sees it in their app. Do not use it for emergencies."
        value={text}
        onChange={(event) => setText(event.currentTarget.value)}
        error={textError}
        autosize
        minRows={2}
        maxLength={MESSAGE_MAX_LENGTH}
      />
      <Group>
        <Button onClick={() => void send()} loading={sending}>
          Send message
        </Button>
      </Group>
      {result ? (
        <Text role="status" size="sm" fw={600}>
          {result}
        </Text>
      ) : null}
      {sendError ? (
        <Alert color="red" title="The message was not sent" role="alert">
          {sendError} Your message is kept.
        </Alert>
      ) : null}
    </Stack>
  );
}
