// Adding a reading by hand: one field per value with its unit, and when it was taken; checked, saved on the phone, sent.
import { Anchor, Button, Group, NativeSelect, Stack, Text, TextInput, Title } from '@mantine/core';
import { useState, type FormEvent } from 'react';
import { Link, useParams } from 'react-router';
import { newOutboxItem } from '../outbox/outboxItem.ts';
import { newReadingId } from '../outbox/newReadingId.ts';
import { useOutbox } from '../outbox/OutboxProvider.tsx';
import { usePatientContext } from '../smart/usePatientContext.tsx';
import { Notice } from '../ui/Notice.tsx';
import { useDraft } from '../ui/useDraft.ts';
import {
  checkReading,
  manualObservations,
  readingSummary,
  type FieldErrors,
  type TypedValues,
} from '../vitals/manualReading.ts';
import { checkTakenAt, localDay, MAX_AGE_DAYS, type TakenWhen, type TypedTime } from '../vitals/takenAt.ts';
import { vitalSign, type VitalSign } from '../vitals/vitalSigns.ts';

type Result = { kind: 'sent' | 'waiting'; summary: string } | { kind: 'refused'; message: string };

const DAY_MS = 24 * 3_600_000;
const WHEN_CHOICES: { value: TakenWhen; label: string }[] = [
  { value: 'now', label: 'Just now' },
  { value: 'earlier', label: `Earlier (in the last ${MAX_AGE_DAYS} days)` },
];

function ReadingForm(props: { vital: VitalSign }) {
  const { vital } = props;
  const { patientReference } = usePatientContext();
  const outbox = useOutbox();
  const [draft, setDraft] = useDraft(`reading:${vital.key}`);
  const typed: TypedValues = draft ? (JSON.parse(draft) as TypedValues) : {};
  const [errors, setErrors] = useState<FieldErrors>({});
  const [result, setResult] = useState<Result | undefined>();
  const [busy, setBusy] = useState(false);
  const [timeDraft, setTimeDraft] = useDraft(`reading-time:${vital.key}`);
  const typedTime: TypedTime = timeDraft
    ? (JSON.parse(timeDraft) as TypedTime)
    : { when: 'now', day: localDay(new Date()), time: '' };
  const setTime = (change: Partial<TypedTime>): void => {
    setTimeDraft(JSON.stringify({ ...typedTime, ...change }));
  };
  const today = new Date();

  const setField = (name: string, value: string): void => {
    setDraft(JSON.stringify({ ...typed, [name]: value }));
  };

  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    setResult(undefined);
    const found: FieldErrors = { ...checkReading(vital, typed) };
    const when = checkTakenAt(typedTime, new Date());
    if ('error' in when) {
      found[`taken-${when.field}`] = when.error;
    }
    setErrors(found);
    if (Object.keys(found).length > 0 || !('takenAt' in when)) {
      const name = vital.fields.find((f) => found[f.name])?.name ?? ('field' in when ? `taken-${when.field}` : '');
      document.getElementById(`field-${name}`)?.focus();
      return;
    }
    setBusy(true);
    try {
      const { takenAt } = when;
      const summary = readingSummary(vital, typed);
      const item = await outbox.add(
        newOutboxItem({
          id: newReadingId(),
          vital: vital.key,
          summary,
          observations: manualObservations(vital, typed, patientReference, takenAt),
          takenAt: takenAt.toISOString(),
          now: Date.now(),
        })
      );
      if (item?.state === 'refused') {
        // The form keeps what was typed and says why; the refused copy is not kept in the outbox.
        await outbox.dismiss(item.id);
        setResult({ kind: 'refused', message: item.problem ?? 'This reading was not accepted.' });
      } else {
        setResult({ kind: item?.state === 'sent' ? 'sent' : 'waiting', summary });
        setDraft('');
        setTimeDraft('');
      }
    } finally {
      setBusy(false);
    }
  };

  return (
    <Stack gap="md">
      <Title order={1}>Add your {vital.name.toLowerCase()}</Title>
      <Text>{vital.hint}</Text>
      <form onSubmit={(event) => void submit(event)} noValidate>
        <Stack gap="md">
          {vital.fields.map((field) => (
            <TextInput
              key={field.name}
              id={`field-${field.name}`}
              label={`${field.label} (${field.unit})`}
              description={`In ${field.unitWords}${field.optional ? '. You can leave this empty.' : ''}`}
              inputMode={field.decimals ? 'decimal' : 'numeric'}
              autoComplete="off"
              required={!field.optional}
              value={typed[field.name] ?? ''}
              onChange={(event) => setField(field.name, event.currentTarget.value)}
              error={errors[field.name]}
              rightSection={
                <Text size="sm" aria-hidden="true">
                  {field.unit}
                </Text>
              }
              rightSectionWidth={96}
            />
          ))}
          <NativeSelect
            id="field-taken-when"
            label="When did you take it?"
            size="lg"
            value={typedTime.when}
            onChange={(event) => setTime({ when: event.currentTarget.value as TakenWhen })}
            data={WHEN_CHOICES}
          />
          {typedTime.when === 'earlier' ? (
            <>
              <TextInput
                id="field-taken-day"
                type="date"
                label="Day"
                description={`Today or up to ${MAX_AGE_DAYS} days ago`}
                required
                min={localDay(new Date(today.getTime() - MAX_AGE_DAYS * DAY_MS))}
                max={localDay(today)}
                value={typedTime.day}
                onChange={(event) => setTime({ day: event.currentTarget.value })}
                error={errors['taken-day']}
              />
              <TextInput
                id="field-taken-time"
                type="time"
                label="Time"
                description="As your phone's clock showed it, for example 08:30"
                required
                value={typedTime.time}
                onChange={(event) => setTime({ time: event.currentTarget.value })}
                error={errors['taken-time']}
              />
            </>
          ) : null}
          <Button type="submit" loading={busy} fullWidth>
            Save reading
          </Button>
        </Stack>
      </form>
      <div role="status" aria-live="polite">
        {result?.kind === 'sent' ? (
          <Notice kind="success" title="Sent to your care team">
            <Text size="sm">Thank you. Your reading ({result.summary}) has been sent.</Text>
          </Notice>
        ) : null}
        {result?.kind === 'waiting' ? (
          <Notice kind="waiting" title="Saved on your phone: waiting to send">
            <Text size="sm">
              Your reading ({result.summary}) is saved on your phone. It will be sent automatically, so you do not need
              to enter it again.
            </Text>
          </Notice>
        ) : null}
      </div>
      {result?.kind === 'refused' ? (
        <Notice kind="problem" title="This reading was not accepted" role="alert">
          <Text size="sm">{result.message} Check the numbers and try again.</Text>
        </Notice>
      ) : null}
      <Group>
        <Anchor component={Link} to="/today" size="lg" py="sm">
          Back to today
        </Anchor>
      </Group>
    </Stack>
  );
}

export default function AddReadingPage() {
  const { vital: key } = useParams();
  const vital = vitalSign(key ?? '');
  if (!vital) {
    return (
      <Stack>
        <Title order={1}>Reading not found</Title>
        <Anchor component={Link} to="/today">
          Back to today
        </Anchor>
      </Stack>
    );
  }
  return <ReadingForm key={vital.key} vital={vital} />;
}
