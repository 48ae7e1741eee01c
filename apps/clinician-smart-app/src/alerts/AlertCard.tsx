// One alert: what happened, its severity in words, what was done; Acknowledge, Escalate and Resolve (with an outcome note).
import { Alert, Badge, Button, Group, List, NativeSelect, Paper, Stack, Text, Textarea, Title } from '@mantine/core';
import type { DetectedIssue } from '@medplum/fhirtypes';
import { useMedplum } from '@medplum/react';
import { useState } from 'react';
import { plainError } from '../ui/plainError.ts';
import { formatDateTime } from '../../../shared/ui/formatTime.ts';
import { useDraft } from '../ui/useDraft.ts';
import { readSeverity, SEVERITY_COLOR, SEVERITY_LABEL } from '../worklist/acuity.ts';
import { acknowledgeAlert, escalateAlert, resolveAlert } from './alertOperations.ts';
import { currentAcknowledgement, isOpen, mitigationAction } from './alertState.ts';
import type { EscalationTarget } from './escalationTargets.ts';

type Action = 'acknowledge' | 'escalate' | 'resolve';
type Busy = Action | undefined;

const DONE: Readonly<Record<Action, string>> = {
  acknowledge: 'Alert acknowledged.',
  escalate: 'Alert escalated',
  resolve: 'Alert resolved.',
};

export function AlertCard(props: {
  alert: DetectedIssue & { id: string };
  onChanged: (alert: DetectedIssue) => void;
  /** Who the alert may be escalated to (the care team, on-call roles). */
  targets?: readonly EscalationTarget[];
}) {
  const medplum = useMedplum();
  const { alert } = props;
  const severity = readSeverity(alert);
  const acknowledgement = currentAcknowledgement(alert);
  const [note, setNote] = useDraft(`alert-note:${alert.id}`);
  const [busy, setBusy] = useState<Busy>();
  const [error, setError] = useState<string>();
  const [result, setResult] = useState<string>();
  const [noteError, setNoteError] = useState<string>();
  const [escalateTo, setEscalateTo] = useDraft(`alert-escalate:${alert.id}`);
  const [targetError, setTargetError] = useState<string>();
  const targets = props.targets ?? [];
  const titleId = `alert-${alert.id}-title`;

  async function run(action: Action): Promise<void> {
    if (action === 'resolve' && !note.trim()) {
      setNoteError('Write the outcome before resolving the alert.');
      return;
    }
    if (action === 'escalate' && !escalateTo) {
      setTargetError('Choose who to escalate the alert to.');
      return;
    }
    setNoteError(undefined);
    setTargetError(undefined);
    setBusy(action);
    setError(undefined);
    setResult(undefined);
    try {
      const updated =
        action === 'acknowledge'
          ? await acknowledgeAlert(medplum, alert.id, note)
          : action === 'escalate'
            ? await escalateAlert(medplum, alert.id, escalateTo, note)
            : await resolveAlert(medplum, alert.id, note);
      setNote('');
      if (action === 'escalate') {
        const label = targets.find((t) => t.reference === escalateTo)?.label ?? escalateTo;
        setEscalateTo('');
        setResult(`${DONE.escalate} to ${label}. They have a task and are notified.`);
      } else {
        setResult(DONE[action]);
      }
      props.onChanged(updated);
    } catch (err) {
      setError(plainError(err));
    } finally {
      setBusy(undefined);
    }
  }

  return (
    <Paper withBorder p="md" component="article" aria-labelledby={titleId} data-alert-id={alert.id}>
      <Stack gap="xs">
        <Group gap="sm">
          <Badge color={SEVERITY_COLOR[severity]} autoContrast variant="filled">
            {SEVERITY_LABEL[severity]}
          </Badge>
          <Title order={3} size="h5" id={titleId}>
            {alert.code?.text ?? alert.code?.coding?.[0]?.display ?? 'Alert'}
          </Title>
        </Group>
        {alert.detail ? <Text size="sm">{alert.detail}</Text> : null}
        <Text size="sm" c="dark.6">
          Raised {formatDateTime(alert.identifiedDateTime)}
          {isOpen(alert) ? '' : ' · Closed'}
        </Text>
        <Text size="sm" data-testid="alert-state">
          {!isOpen(alert)
            ? (alert.mitigation?.at(-1)?.action?.text ?? 'Closed')
            : acknowledgement
              ? `${acknowledgement.action?.text ?? 'Acknowledged'} by ${acknowledgement.author?.display ?? acknowledgement.author?.reference ?? 'a clinician'} at ${formatDateTime(acknowledgement.date)}`
              : 'Not acknowledged'}
        </Text>
        {(alert.mitigation?.length ?? 0) > 0 ? (
          <List size="sm" spacing={2} aria-label="What was done" data-testid="alert-actions">
            {alert.mitigation?.map((m, index) => (
              <List.Item key={index} data-action={mitigationAction(m)}>
                {m.action?.text ?? mitigationAction(m) ?? 'Action'} —{' '}
                {m.author?.display ?? m.author?.reference ?? 'a clinician'}, {formatDateTime(m.date)}
              </List.Item>
            ))}
          </List>
        ) : null}
        {isOpen(alert) ? (
          <>
            <Textarea
              label="Note or outcome"
              description="Optional for acknowledging; required to resolve (what was done, the outcome)."
              value={note}
              onChange={(event) => setNote(event.currentTarget.value)}
              error={noteError}
              autosize
              minRows={2}
              maxLength={2000}
            />
            <NativeSelect
              label="Escalate to"
              description="Who gets a task and a notification if you escalate (the note goes with it)."
              value={escalateTo}
              onChange={(event) => setEscalateTo(event.currentTarget.value)}
              error={targetError}
              data={[
                { value: '', label: targets.length ? 'Choose a colleague or role' : 'No colleagues found' },
                ...targets.map((t) => ({ value: t.reference, label: t.label })),
              ]}
            />
            <Group gap="sm">
              {!acknowledgement ? (
                <Button onClick={() => void run('acknowledge')} loading={busy === 'acknowledge'} disabled={!!busy}>
                  Acknowledge
                </Button>
              ) : null}
              <Button
                variant="outline"
                onClick={() => void run('escalate')}
                loading={busy === 'escalate'}
                disabled={!!busy}
              >
                Escalate
              </Button>
              <Button
                variant="outline"
                onClick={() => void run('resolve')}
                loading={busy === 'resolve'}
                disabled={!!busy}
              >
                Resolve
              </Button>
            </Group>
          </>
        ) : null}
        {result ? (
          <Text role="status" size="sm" fw={600}>
            {result}
          </Text>
        ) : null}
        {error ? (
          <Alert color="red" title="That did not work" role="alert">
            {error}
          </Alert>
        ) : null}
      </Stack>
    </Paper>
  );
}
