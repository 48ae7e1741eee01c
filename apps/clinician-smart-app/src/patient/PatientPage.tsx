// The patient view: banner, alerts, and tabs for trends (with threshold bands), thresholds, devices, schedule, messages.
import { Alert, Anchor, Grid, Loader, SegmentedControl, SimpleGrid, Stack, Tabs, Text, Title } from '@mantine/core';
import type { DetectedIssue } from '@medplum/fhirtypes';
import { useMedplum } from '@medplum/react';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { Link, useParams } from 'react-router';
import { AlertsPanel } from '../alerts/AlertsPanel.tsx';
import { DevicesPanel } from '../devices/DevicesPanel.tsx';
import { MessagesPanel } from '../messages/MessagesPanel.tsx';
import { SchedulePanel } from '../schedule/SchedulePanel.tsx';
import { chartLimits, effectiveThresholds } from '../thresholds/thresholdBands.ts';
import { ThresholdsPanel } from '../thresholds/ThresholdsPanel.tsx';
import { news2Of, readingTime } from '../fhir/readings.ts';
import { useLaunchContext } from '../smart/useLaunchContext.tsx';
import { formatDateTime } from '../../../shared/ui/formatTime.ts';
import { plainError } from '../ui/plainError.ts';
import { NEWS2_BAND_LABEL } from '../worklist/acuity.ts';
import { useLiveUpdates } from '../worklist/useLiveUpdates.ts';
import { listedGoals, loadPatientRecord, type PatientRecord } from './loadPatientRecord.ts';
import { patientLiveChanges, PATIENT_LIVE_CRITERIA } from './patientLiveEvents.ts';
import { PatientBanner } from './PatientBanner.tsx';
import { DischargePanel } from '../enrolment/DischargePanel.tsx';
import { news2Series } from './news2Series.ts';
import { displayName } from './patientDetails.ts';
import { ReadingsTable } from './ReadingsTable.tsx';
import { TrendChart } from './TrendChart.tsx';
import { pointsInRange, TREND_RANGES, vitalSignSeries, type TrendRange } from './vitalSigns.ts';

/** How long a live cue ("New message from the patient.") stays before the status goes back to "Live". */
const CUE_MS = 12_000;

export default function PatientPage() {
  const { id = '' } = useParams();
  const medplum = useMedplum();
  const launch = useLaunchContext();
  const [record, setRecord] = useState<PatientRecord>();
  const [error, setError] = useState<string>();
  const [range, setRange] = useState<TrendRange>('7d');
  const [now, setNow] = useState(() => Date.now());
  const [tab, setTab] = useState<string | null>('trends');
  /** Bumped when a live notification says this patient's messages or readings changed. */
  const [messagesKey, setMessagesKey] = useState(0);
  const [devicesKey, setDevicesKey] = useState(0);
  const [liveCue, setLiveCue] = useState<string>();
  const cueTimer = useRef<ReturnType<typeof setTimeout>>(undefined);
  useEffect(() => () => clearTimeout(cueTimer.current), []);

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

  // Live: a new reading or alert of this patient reloads the record in place; a message reloads the thread.
  const live = useLiveUpdates(
    medplum,
    !!launch.liveUpdates,
    {
      onEvents: (events) => {
        const changes = patientLiveChanges(events, id);
        if (changes.record) {
          void load();
          setDevicesKey((k) => k + 1);
        }
        if (changes.messages) {
          setMessagesKey((k) => k + 1);
        }
        if (changes.cue) {
          setLiveCue(changes.cue);
          clearTimeout(cueTimer.current);
          cueTimer.current = setTimeout(() => setLiveCue(undefined), CUE_MS);
        }
      },
      onMissed: () => {
        void load();
        setMessagesKey((k) => k + 1);
      },
    },
    PATIENT_LIVE_CRITERIA
  );

  const thresholds = useMemo(
    () => (record ? effectiveThresholds(record.monitoring.programme, listedGoals(record.monitoring)) : undefined),
    [record]
  );

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
    return <Loader role="status" aria-label="Loading the patient's record" />;
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
      <DischargePanel patientId={id} patientName={displayName(record.patient)} />
      <Grid gutter="md">
        {/* Alerts first (left, or on top on a tablet): they are what needs doing. */}
        <Grid.Col span={{ base: 12, md: 5 }}>
          <AlertsPanel patientId={id} alerts={record.alerts} onChanged={alertChanged} />
        </Grid.Col>
        <Grid.Col span={{ base: 12, md: 7 }}>
          {launch.liveUpdates ? (
            <Text size="sm" c="dimmed" role="status" data-testid="patient-live-status">
              {live === 'live'
                ? (liveCue ?? 'Live: new readings, alerts and messages appear as they arrive.')
                : live === 'unavailable'
                  ? 'Live updates are not available: reopen the patient to see new data.'
                  : live === 'reconnecting'
                    ? 'Live updates paused: reconnecting…'
                    : 'Connecting live updates…'}
            </Text>
          ) : null}
          <Tabs value={tab} onChange={setTab} keepMounted={false}>
            <Tabs.List aria-label="Patient record">
              <Tabs.Tab value="trends">Trends and readings</Tabs.Tab>
              <Tabs.Tab value="thresholds">Thresholds</Tabs.Tab>
              <Tabs.Tab value="devices">Devices</Tabs.Tab>
              <Tabs.Tab value="schedule">Schedule</Tabs.Tab>
              <Tabs.Tab value="messages">Messages</Tabs.Tab>
            </Tabs.List>
            <Tabs.Panel value="trends" pt="sm">
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
                      limits={thresholds ? chartLimits(s.definition.kind, thresholds) : []}
                    />
                  ))}
                </SimpleGrid>
                <Title order={2} size="h4">
                  Readings ({TREND_RANGES[range].label})
                </Title>
                <ReadingsTable observations={readingsInRange} />
              </Stack>
            </Tabs.Panel>
            <Tabs.Panel value="thresholds" pt="sm">
              <ThresholdsPanel
                patientId={id}
                carePlan={record.monitoring.carePlan}
                programme={record.monitoring.programme}
                goals={record.monitoring.goals}
                onSaved={() => void load()}
              />
            </Tabs.Panel>
            <Tabs.Panel value="devices" pt="sm">
              <DevicesPanel patientId={id} refreshKey={devicesKey} />
            </Tabs.Panel>
            <Tabs.Panel value="schedule" pt="sm">
              <SchedulePanel carePlan={record.monitoring.carePlan} programme={record.programme} />
            </Tabs.Panel>
            <Tabs.Panel value="messages" pt="sm">
              <MessagesPanel patientId={id} refreshKey={messagesKey} />
            </Tabs.Panel>
          </Tabs>
        </Grid.Col>
      </Grid>
    </Stack>
  );
}
