// Changing one band of one vital sign's limits for this patient: a Goal created, updated or withdrawn, input kept on error.
import { Alert, Button, Group, Paper, Stack, Text, TextInput, Title } from '@mantine/core';
import type { WithId } from '@medplum/core';
import type { CarePlan, Goal, Practitioner } from '@medplum/fhirtypes';
import { useMedplum, useResource } from '@medplum/react';
import { useState } from 'react';
import { useLaunchContext } from '../smart/useLaunchContext.tsx';
import { plainError } from '../ui/plainError.ts';
import { useDraft } from '../ui/useDraft.ts';
import { formatLimit, type EffectiveThresholds, type RuleKind, type ThresholdBand } from './thresholdBands.ts';
import {
  BAND_WORDS,
  EDITABLE_MEASURES,
  goalLimits,
  overrideGoal,
  retiredGoal,
  saveOverrideBundle,
  validateLimits,
} from './thresholdGoals.ts';

function practitionerName(practitioner: Practitioner | undefined): string | undefined {
  const name = practitioner?.name?.[0];
  return [name?.prefix?.join(' '), name?.given?.join(' '), name?.family].filter(Boolean).join(' ') || name?.text;
}

export function ThresholdEditor(props: {
  patientId: string;
  kind: RuleKind;
  band: ThresholdBand;
  carePlan: WithId<CarePlan>;
  override?: WithId<Goal>;
  /** The programme's defaults for this measure and band, in words. */
  programmeText: string;
  thresholds: EffectiveThresholds;
  onSaved: (message: string) => void;
  onClose: () => void;
}) {
  const medplum = useMedplum();
  const { fhirUser } = useLaunchContext();
  const me = useResource<Practitioner>(fhirUser?.startsWith('Practitioner/') ? { reference: fhirUser } : undefined);
  const { kind, band } = props;
  const measure = EDITABLE_MEASURES.find((m) => m.kind === kind);
  const current = props.override ? goalLimits(props.override) : {};
  const key = `threshold:${props.patientId}:${kind}:${band}`;
  const [low, setLow] = useDraft(`${key}:low`, current.low !== undefined ? formatLimit(kind, current.low) : '');
  const [high, setHigh] = useDraft(`${key}:high`, current.high !== undefined ? formatLimit(kind, current.high) : '');
  const [reason, setReason] = useDraft(`${key}:reason`);
  const [errors, setErrors] = useState<Partial<Record<'low' | 'high' | 'form', string>>>({});
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState<'save' | 'remove'>();
  const title = `${BAND_WORDS[band]} limits for ${measure?.label.toLowerCase() ?? kind}`;
  const headingId = `threshold-editor-${kind}-${band}`;

  function clearDrafts(): void {
    setLow('');
    setHigh('');
    setReason('');
  }

  async function save(): Promise<void> {
    const checked = validateLimits({ low, high }, kind, band, props.thresholds);
    setErrors(checked.errors);
    setError(undefined);
    if (!checked.limits) {
      return;
    }
    if (!fhirUser) {
      setError('The app does not know who you are (no fhirUser in the launch), so the change cannot be recorded.');
      return;
    }
    setBusy('save');
    try {
      const goal = overrideGoal({
        patientId: props.patientId,
        kind,
        band,
        limits: checked.limits,
        expressedBy: { reference: fhirUser, ...(practitionerName(me) ? { display: practitionerName(me) } : {}) },
        reason: reason.trim() || undefined,
        today: new Date().toISOString().slice(0, 10),
        existing: props.override,
      });
      await medplum.executeBatch(saveOverrideBundle(goal, props.carePlan));
      clearDrafts();
      props.onSaved(`Saved: ${goal.description?.text ?? title}.`);
    } catch (err) {
      setError(plainError(err));
    } finally {
      setBusy(undefined);
    }
  }

  async function remove(): Promise<void> {
    if (!props.override || !fhirUser) {
      return;
    }
    setBusy('remove');
    setError(undefined);
    try {
      const goal = retiredGoal(
        props.override,
        { reference: fhirUser, ...(practitionerName(me) ? { display: practitionerName(me) } : {}) },
        new Date().toISOString().slice(0, 10)
      );
      await medplum.executeBatch(saveOverrideBundle(goal, props.carePlan));
      clearDrafts();
      props.onSaved(`Removed the patient's own ${title.toLowerCase()}: the programme default applies again.`);
    } catch (err) {
      setError(plainError(err));
    } finally {
      setBusy(undefined);
    }
  }

  const unit = measure?.unitLabel ?? '';
  return (
    <Paper withBorder p="md" component="section" aria-labelledby={headingId} data-testid="threshold-editor">
      <Stack gap="xs">
        <Title order={3} size="h5" id={headingId}>
          Change {title.toLowerCase()}
        </Title>
        <Text size="sm">
          Programme default: {props.programmeText}. Leave a side empty to keep the programme’s limit.
        </Text>
        <Group grow align="flex-start">
          <TextInput
            label={`Alert ${band} below (${unit})`}
            value={low}
            onChange={(event) => setLow(event.currentTarget.value)}
            error={errors.low}
            inputMode="decimal"
          />
          <TextInput
            label={`Alert ${band} above (${unit})`}
            value={high}
            onChange={(event) => setHigh(event.currentTarget.value)}
            error={errors.high}
            inputMode="decimal"
          />
        </Group>
        <TextInput
          label="Reason (optional)"
          description="Kept with the limit, e.g. the prescribed target range."
          value={reason}
          onChange={(event) => setReason(event.currentTarget.value)}
          maxLength={500}
        />
        {errors.form ? (
          <Text c="red.9" size="sm" role="alert">
            {errors.form}
          </Text>
        ) : null}
        <Group gap="sm">
          <Button onClick={() => void save()} loading={busy === 'save'} disabled={!!busy}>
            Save limits
          </Button>
          {props.override ? (
            <Button
              variant="outline"
              color="red.9"
              onClick={() => void remove()}
              loading={busy === 'remove'}
              disabled={!!busy}
            >
              Remove patient’s limit
            </Button>
          ) : null}
          <Button variant="subtle" onClick={props.onClose} disabled={!!busy}>
            Close
          </Button>
        </Group>
        {error ? (
          <Alert color="red" title="The limits were not saved" role="alert">
            {error} What you typed is kept.
          </Alert>
        ) : null}
      </Stack>
    </Paper>
  );
}
