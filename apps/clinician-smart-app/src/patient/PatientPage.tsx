// The patient view: banner (unless the EHR shows its own), trends over 24 h / 7 d / 30 d, readings, NEWS2 and alerts.
import { Alert, Anchor, Grid, Loader, SegmentedControl, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import type { DetectedIssue } from '@medplum/fhirtypes';
import { useMedplum } from '@medplum/react';
import { useCallback, useEffect, useMemo, useState } from 'react';
import { Link, useParams } from 'react-router';
import { AlertsPanel } from '../alerts/AlertsPanel.tsx';
import { news2Of, readingTime } from '../fhir/readings.ts';
import { useLaunchContext } from '../smart/useLaunchContext.tsx';
import { formatDateTime } from '../ui/formatTime.ts';
import { plainError } from '../ui/plainError.ts';
import { NEWS2_BAND_LABEL } from '../worklist/acuity.ts';
import { loadPatientRecord, type PatientRecord } from './loadPatientRecord.ts';
import { PatientBanner } from './PatientBanner.tsx';
import { news2Series } from './news2Series.ts';
import { displayName } from './patientDetails.ts';
import { ReadingsTable } from './ReadingsTable.tsx';
import { TrendChart } from './TrendChart.tsx';
import { pointsInRange, TREND_RANGES, vitalSignSeries, type TrendRange } from './vitalSigns.ts';

export default function PatientPage() {
  const { id = '' } = useParams();
  const medplum = useMedplum();
  const launch = useLaunchContext();
  const [record, setRecord] = useState<PatientRecord>();
  const [error, setError] = useState<string>();
  const [range, setRange] = useState<TrendRange>('7d');
  const [now, setNow] = useState(() => Date.now());

  const load = useCallback(async () => {
    try {
      setRecord(await loadPatientRecord(medplum, id));
      setNow(Date.now());
      setError(undefined);
    } catch (err) {
      setError(plainError(err));
    }
  }, [medplum, id]);

  useEffect(() => {
    setRecord(undefined);
    void load();
  }, [load]);

  const series = useMemo(() => {
    const news2 = news2Series(record?.news2 ?? []);
    return [...(news2 ? [news2] : []), ...vitalSignSeries(record?.readings ?? [])];
  }, [record]);
  const from = now - TREND_RANGES[range].ms;
  const readingsInRange = useMemo(
    () => (record?.readings ?? []).filter((o) => Date.parse(readingTime(o) ?? '') >= from),
    [record, from]
  );

  function alertChanged(updated: DetectedIssue): void {
    setRecord((current) =>
      current
        ? { ...current, alerts: current.alerts.map((a) => (a.id === updated.id ? { ...a, ...updated } : a)) }
        : current
    );
  }

  if (error) {
    return (
      <Alert color="red" title="This patient could not be opened" role="alert">
        {error}
      </Alert>
    );
  }
  if (!record) {
    return <Loader aria-label="Loading the patient's record" />;
  }
  // An EHR launch for this patient with need_patient_banner=false: the EHR shows its own banner.
  const showBanner = launch.patient !== id || launch.needPatientBanner;
  const latestNews2 = record.news2[0] ? news2Of(record.news2[0]) : undefined;
  return (
    <Stack gap="md">
      <Title order={1}>{showBanner ? 'Patient' : displayName(record.patient)}</Title>
      {!launch.patient ? (
        <Anchor component={Link} to="/worklist">
          Back to the caseload
        </Anchor>
      ) : null}
      {showBanner ? <PatientBanner patient={record.patient} programme={record.programme} /> : null}
      <Grid gutter="md">
        {/* Alerts first (left, or on top on a tablet): they are what needs doing. */}
        <Grid.Col span={{ base: 12, md: 5 }}>
          <AlertsPanel alerts={record.alerts} onChanged={alertChanged} />
        </Grid.Col>
        <Grid.Col span={{ base: 12, md: 7 }}>
          <Stack gap="sm" component="section" aria-labelledby="trends-heading">
            <Title order={2} size="h4" id="trends-heading">
              Trends
            </Title>
            <Text size="sm" fw={500} id="range-label">
              Period
            </Text>
            <SegmentedControl
              aria-labelledby="range-label"
              value={range}
              onChange={(value) => setRange(value as TrendRange)}
              data={(Object.keys(TREND_RANGES) as TrendRange[]).map((key) => ({
                value: key,
                label: TREND_RANGES[key].label,
              }))}
            />
            <Text size="sm" data-testid="news2-latest">
              Latest NEWS2:{' '}
              {latestNews2
                ? `${latestNews2.score} (${NEWS2_BAND_LABEL[latestNews2.band]}) at ${formatDateTime(latestNews2.time)}`
                : 'no score in the last 30 days'}
            </Text>
            {record.readings.length === 0 ? <Text>No readings in the last 30 days.</Text> : null}
            <SimpleGrid cols={{ base: 1, lg: 2 }} spacing="sm">
              {series.map((s) => (
                <TrendChart
                  key={s.definition.kind}
                  series={s}
                  points={pointsInRange(s.points, range, now)}
                  from={from}
                  to={now}
                />
              ))}
            </SimpleGrid>
            <Title order={2} size="h4">
              Readings ({TREND_RANGES[range].label})
            </Title>
            <ReadingsTable observations={readingsInRange} />
          </Stack>
        </Grid.Col>
      </Grid>
    </Stack>
  );
}
