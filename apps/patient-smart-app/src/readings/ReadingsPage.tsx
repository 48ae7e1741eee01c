// My readings: the latest of each kind (flagged? seen by the care team?), then a chosen kind's trend and history.
import { Card, Loader, NativeSelect, Stack, Text, Title } from '@mantine/core';
import { useMedplum } from '@medplum/react';
import { useEffect, useState } from 'react';
import { OutboxList } from '../outbox/OutboxList.tsx';
import { useOutbox } from '../outbox/OutboxProvider.tsx';
import { usePatientContext } from '../smart/usePatientContext.tsx';
import { formatDateTime } from '../../../shared/ui/formatTime.ts';
import { Notice } from '../ui/Notice.tsx';
import { plainError } from '../ui/plainError.ts';
import { VITAL_SIGNS } from '../vitals/vitalSigns.ts';
import { HISTORY_DAYS, loadReadings } from './loadReadings.ts';
import { ReadingChart } from './ReadingChart.tsx';
import type { Reading } from './readingStatus.ts';

const LIST = { listStyle: 'none', padding: 0, margin: 0 } as const;

/** The care-team line of a reading: seen (when), told but not seen yet, or nothing to tell. */
function careTeamLine(reading: Reading): string {
  if (reading.seenAt) {
    return `Seen by your care team on ${formatDateTime(reading.seenAt)}.`;
  }
  return reading.flag ? 'Your care team has not looked at it yet.' : 'No one needed to be told about this reading.';
}

function ReadingLine(props: { reading: Reading; showName?: boolean }) {
  const { reading } = props;
  return (
    <Card withBorder component="li" padding="sm" data-testid="reading" data-flagged={reading.flag ? 'yes' : 'no'}>
      <Text fw={700}>
        {props.showName ? `${reading.vital.name}: ` : ''}
        {reading.text}
      </Text>
      <Text size="sm">
        {formatDateTime(reading.time)}
        {reading.enteredByHand ? ' · typed in by you' : ''}
      </Text>
      {reading.flag ? (
        <Text size="sm" fw={700} c="red.9">
          ⚠ Flagged: {reading.flag}.
        </Text>
      ) : null}
      <Text size="sm">{careTeamLine(reading)}</Text>
    </Card>
  );
}

export default function ReadingsPage() {
  const medplum = useMedplum();
  const { patientReference } = usePatientContext();
  const { sentVersion } = useOutbox();
  const [readings, setReadings] = useState<Reading[] | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [chosen, setChosen] = useState<string>('');

  useEffect(() => {
    let current = true;
    loadReadings(medplum, patientReference).then(
      (loaded) => {
        if (current) {
          setReadings(loaded);
          setError(undefined);
        }
      },
      (err: unknown) => current && setError(plainError(err))
    );
    return () => {
      current = false;
    };
  }, [medplum, patientReference, sentVersion]);

  const kinds = VITAL_SIGNS.filter((vital) => readings?.some((r) => r.vital.key === vital.key));
  const latest = kinds.map((vital) => readings?.find((r) => r.vital.key === vital.key) as Reading);
  const shownKey = chosen || kinds[0]?.key || '';
  const shown = readings?.filter((r) => r.vital.key === shownKey) ?? [];
  const shownVital = VITAL_SIGNS.find((v) => v.key === shownKey);

  return (
    <Stack gap="lg">
      <Title order={1}>My readings</Title>
      <OutboxList />
      {error ? (
        <Notice kind="info" title="We could not load your readings">
          <Text size="sm">{error}</Text>
        </Notice>
      ) : null}
      {!readings && !error ? <Loader role="status" aria-label="Loading your readings" /> : null}
      {readings && readings.length === 0 ? <Text>You have no readings in the last {HISTORY_DAYS} days.</Text> : null}
      {latest.length > 0 ? (
        <Stack gap="sm" component="section" aria-labelledby="latest-title">
          <Title order={2} size="h3" id="latest-title">
            Your latest readings
          </Title>
          <Stack gap="sm" component="ul" style={LIST} data-testid="latest-readings">
            {latest.map((reading) => (
              <ReadingLine key={reading.id} reading={reading} showName />
            ))}
          </Stack>
        </Stack>
      ) : null}
      {shownVital ? (
        <Stack gap="sm" component="section" aria-labelledby="history-title">
          <Title order={2} size="h3" id="history-title">
            History (last {HISTORY_DAYS} days)
          </Title>
          <NativeSelect
            label="Show readings of"
            size="lg"
            value={shownKey}
            onChange={(event) => setChosen(event.currentTarget.value)}
            data={kinds.map((vital) => ({ value: vital.key, label: vital.name }))}
          />
          <Text size="sm">
            {shownVital.name}: {shown.length} {shown.length === 1 ? 'reading' : 'readings'}. The chart shows how they
            changed over time; every reading is listed under it.
          </Text>
          <ReadingChart readings={shown} />
          <Stack gap="sm" component="ul" style={LIST} data-testid="history-readings">
            {shown.map((reading) => (
              <ReadingLine key={reading.id} reading={reading} />
            ))}
          </Stack>
        </Stack>
      ) : null}
    </Stack>
  );
}
