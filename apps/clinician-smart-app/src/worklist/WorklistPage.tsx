// The triage worklist: the caseload, most acute first, with filters and live updates; a patient's name opens their view.
import { Alert, Button, Group, Loader, SegmentedControl, Stack, Text, TextInput, Title } from '@mantine/core';
import { useMedplum } from '@medplum/react';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { Link, useLocation } from 'react-router';
import { useLaunchContext } from '../smart/useLaunchContext.tsx';
import { displayName } from '../patient/patientDetails.ts';
import { plainError } from '../ui/plainError.ts';
import { takeStartedCaseloadLoad } from './caseloadStart.ts';
import { caseloadChangeCue, describeEvents } from './liveEvents.ts';
import { caseloadChanged, loadCaseload, refreshRows, type WorklistRow } from './loadCaseload.ts';
import { useCaseloadChanges } from './useCaseloadChanges.ts';
import { useLiveUpdates, type LiveState } from './useLiveUpdates.ts';
import { WorklistTable } from './WorklistTable.tsx';

type SeverityFilter = 'all' | 'alerts' | 'red';

const LIVE_WORDS: Readonly<Record<LiveState, string>> = {
  off: '',
  connecting: '',
  live: 'Live: updates appear as they arrive.',
  reconnecting: 'Live updates paused: reconnecting…',
  unavailable: 'Live updates are not available: use Refresh.',
};

/** How long the cue ("New alert for …") stays before the status line goes back to "Live". */
const CUE_MS = 12_000;

function matches(row: WorklistRow, text: string, severity: SeverityFilter): boolean {
  if (severity === 'alerts' && !row.acuity.alertSeverity) {
    return false;
  }
  if (severity === 'red' && row.acuity.alertSeverity !== 'high') {
    return false;
  }
  return !text || displayName(row.patient).toLowerCase().includes(text.toLowerCase());
}

export function WorklistPage() {
  const medplum = useMedplum();
  const { fhirUser, liveUpdates } = useLaunchContext();
  const [rows, setRows] = useState<WorklistRow[] | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [loading, setLoading] = useState(false);
  const [loadedAt, setLoadedAt] = useState(() => Date.now());
  const [text, setText] = useState('');
  const [severity, setSeverity] = useState<SeverityFilter>('all');
  /** The result of an enrolment or discharge that brought the clinician back here. */
  const notice = (useLocation().state as { notice?: string } | null)?.notice;

  const [liveCue, setLiveCue] = useState<string>();
  const rowsRef = useRef(rows);
  rowsRef.current = rows;
  /** Quiet reloads run one after another, so an older answer never overwrites a newer one. */
  const queue = useRef<Promise<void>>(Promise.resolve());
  const cueTimer = useRef<ReturnType<typeof setTimeout>>(undefined);
  useEffect(() => () => clearTimeout(cueTimer.current), []);

  /** Loads the worklist; the first load takes the one started with the session, if any (caseloadStart.ts). */
  const load = useCallback(
    async (first = false) => {
      setLoading(true);
      try {
        setRows(
          await ((first ? takeStartedCaseloadLoad(medplum, fhirUser) : undefined) ?? loadCaseload(medplum, fhirUser))
        );
        setLoadedAt(Date.now());
        setError(undefined);
      } catch (err) {
        setError(plainError(err));
      } finally {
        setLoading(false);
      }
    },
    [medplum, fhirUser]
  );

  useEffect(() => {
    void load(true);
  }, [load]);

  const quietly = (work: () => Promise<void>): void => {
    queue.current = queue.current.then(work).catch(() => undefined);
  };

  const showCue = (cue: string | undefined): void => {
    if (cue) {
      setLiveCue(cue);
      clearTimeout(cueTimer.current);
      cueTimer.current = setTimeout(() => setLiveCue(undefined), CUE_MS);
    }
  };

  const live = useLiveUpdates(medplum, !!liveUpdates, {
    onEvents: (events) =>
      quietly(async () => {
        const current = rowsRef.current;
        if (!current) {
          return;
        }
        const { patientIds, cue, reloadAll } = describeEvents(events, current);
        if (reloadAll) {
          setRows(await loadCaseload(medplum, fhirUser));
        } else if (patientIds.size > 0) {
          setRows(await refreshRows(medplum, rowsRef.current ?? current, patientIds));
        } else {
          return;
        }
        setLoadedAt(Date.now());
        showCue(cue);
      }),
    onMissed: () =>
      quietly(async () => {
        setRows(await loadCaseload(medplum, fhirUser));
        setLoadedAt(Date.now());
      }),
  });

  // Patients enrolled onto (or discharged from) the caseload by someone else, followed once the rows are here.
  useCaseloadChanges(medplum, !!liveUpdates && rows !== undefined, fhirUser, () =>
    quietly(async () => {
      const current = rowsRef.current;
      if (!current || !(await caseloadChanged(medplum, fhirUser, current))) {
        return;
      }
      const next = await loadCaseload(medplum, fhirUser);
      setRows(next);
      setLoadedAt(Date.now());
      showCue(caseloadChangeCue(current, next));
    })
  );

  const shown = useMemo(() => rows?.filter((row) => matches(row, text, severity)), [rows, text, severity]);

  return (
    <Stack gap="md">
      <Group justify="space-between" align="flex-end">
        <Title order={1}>Caseload</Title>
        <Group gap="sm">
          <Text size="sm" c="dimmed" role="status" data-testid="live-status">
            {live === 'live' && liveCue ? liveCue : LIVE_WORDS[live]}
          </Text>
          <Button variant="default" onClick={() => void load()} loading={loading}>
            Refresh
          </Button>
          <Button component={Link} to="/enrol">
            Enrol a patient
          </Button>
        </Group>
      </Group>
      <Group align="flex-end" gap="md">
        <TextInput
          label="Find a patient"
          value={text}
          onChange={(event) => setText(event.currentTarget.value)}
          w={260}
        />
        <Stack gap={4}>
          <Text size="sm" fw={500} id="severity-filter-label">
            Show
          </Text>
          <SegmentedControl
            aria-labelledby="severity-filter-label"
            value={severity}
            onChange={(value) => setSeverity(value as SeverityFilter)}
            data={[
              { value: 'all', label: 'All patients' },
              { value: 'alerts', label: 'With open alerts' },
              { value: 'red', label: 'Red alerts' },
            ]}
          />
        </Stack>
      </Group>
      <div role="status" data-testid="worklist-notice">
        {notice ? (
          <Alert color="green" title="Done">
            {notice}
          </Alert>
        ) : null}
      </div>
      {error ? (
        <Alert color="red" title="The caseload could not be loaded" role="alert">
          {error}
        </Alert>
      ) : null}
      {!shown ? (
        error ? null : (
          <Loader role="status" aria-label="Loading the caseload" />
        )
      ) : (
        <WorklistTable rows={shown} total={rows?.length ?? 0} now={loadedAt} />
      )}
    </Stack>
  );
}
