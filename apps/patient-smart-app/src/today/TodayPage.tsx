// Today: what to measure today (from the monitoring plan, in its time zone) and what is done; add each reading by hand.
import { Button, Card, Group, Loader, Stack, Text, Title } from '@mantine/core';
import { useMedplum } from '@medplum/react';
import { useEffect, useMemo, useState } from 'react';
import { Link } from 'react-router';
import { OutboxList } from '../outbox/OutboxList.tsx';
import { useOutbox } from '../outbox/OutboxProvider.tsx';
import { usePatientContext } from '../smart/usePatientContext.tsx';
import { Notice } from '../ui/Notice.tsx';
import { plainError } from '../ui/plainError.ts';
import { VITAL_SIGNS, type VitalSign } from '../vitals/vitalSigns.ts';
import { loadToday, type TodayData } from './loadToday.ts';
import { DEFAULT_TIME_ZONE, dueTimeText, phoneTimeZone, scheduleDay, scheduleTimeZone } from './scheduleDay.ts';
import type { ScheduleDay } from './scheduleDay.ts';
import { todayTasks, type TodayTask } from './todaySchedule.ts';

/** Today's readings are searched from this long before now: a schedule day starts at most 25 h before (DST). */
const LOOK_BACK_MS = 26 * 3_600_000;

function dayText(now: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-GB', { weekday: 'long', day: 'numeric', month: 'long', timeZone }).format(now);
}

function timesText(task: TodayTask, day: ScheduleDay): string {
  const count = task.timesToday === 1 ? 'Once today' : `${task.timesToday} times today`;
  const times = task.times.map((time) => dueTimeText(day, time, phoneTimeZone()));
  return times.length ? `${count}: ${times.join(' and ')}` : count;
}

function TaskCard(props: { task: TodayTask; day: ScheduleDay }) {
  const { task, day } = props;
  const done = task.doneToday >= task.timesToday;
  const status = done ? 'Done' : task.doneToday > 0 ? `${task.doneToday} of ${task.timesToday} done` : 'To do';
  return (
    <Card withBorder component="li" padding="md" data-testid={`task-${task.vital.key}`}>
      <Group justify="space-between" wrap="nowrap" align="flex-start">
        <div>
          <Title order={3} size="h4">
            {task.vital.name}
          </Title>
          <Text size="sm">{timesText(task, day)}</Text>
          {task.waitingToday > 0 ? <Text size="sm">{task.waitingToday} waiting to send</Text> : null}
        </div>
        <Text fw={700} c={done ? 'green.9' : 'dark.7'} style={{ whiteSpace: 'nowrap' }}>
          {done ? '✓ ' : ''}
          {status}
        </Text>
      </Group>
      <Button component={Link} to={`/add/${task.vital.key}`} mt="sm" fullWidth variant={done ? 'outline' : 'filled'}>
        Add {task.vital.name.toLowerCase()}
      </Button>
    </Card>
  );
}

function OtherReading(props: { vital: VitalSign }) {
  return (
    <li>
      <Button component={Link} to={`/add/${props.vital.key}`} fullWidth variant="outline">
        Add {props.vital.name.toLowerCase()}
      </Button>
    </li>
  );
}

const LIST = { listStyle: 'none', padding: 0, margin: 0 } as const;

export default function TodayPage() {
  const medplum = useMedplum();
  const { patientReference } = usePatientContext();
  const { items, sentVersion } = useOutbox();
  const now = useMemo(() => new Date(), []);
  const [data, setData] = useState<TodayData | undefined>();
  const [error, setError] = useState<string | undefined>();

  useEffect(() => {
    let current = true;
    loadToday(medplum, patientReference, new Date(now.getTime() - LOOK_BACK_MS)).then(
      (loaded) => {
        if (current) {
          setData(loaded);
          setError(undefined);
        }
      },
      (err: unknown) => current && setError(plainError(err))
    );
    return () => {
      current = false;
    };
  }, [medplum, patientReference, now, sentVersion]);

  // The plan's time zone decides when today starts and ends (not the phone's); UK time until the plan is loaded.
  const day = scheduleDay(now, data ? scheduleTimeZone(data.carePlans) : DEFAULT_TIME_ZONE);
  const tasks = data
    ? todayTasks({
        carePlans: data.carePlans,
        observations: data.observations,
        outbox: items,
        dayStart: day.start,
        dayEnd: day.end,
      })
    : [];
  const scheduled = new Set(tasks.map((t) => t.vital.key));
  const others = VITAL_SIGNS.filter((vital) => !scheduled.has(vital.key));
  const left = tasks.filter((t) => t.doneToday < t.timesToday).length;

  return (
    <Stack gap="lg">
      <div>
        <Title order={1}>Today</Title>
        <Text>{dayText(now, day.timeZone)}</Text>
      </div>
      <OutboxList />
      {error ? (
        <Notice kind="info" title="We could not load your plan">
          <Text size="sm">{error} You can still add readings below.</Text>
        </Notice>
      ) : null}
      {!data && !error ? <Loader role="status" aria-label="Loading your plan" /> : null}
      {data && tasks.length > 0 ? (
        <Stack gap="sm" component="section" aria-labelledby="todo-title">
          <Title order={2} size="h3" id="todo-title">
            Your readings for today
          </Title>
          <Text role="status">
            {left === 0 ? 'All done for today. Thank you!' : `${left} of ${tasks.length} still to do.`}
          </Text>
          <Stack gap="sm" component="ul" style={LIST}>
            {tasks.map((task) => (
              <TaskCard key={task.vital.key} task={task} day={day} />
            ))}
          </Stack>
        </Stack>
      ) : null}
      {data && tasks.length === 0 ? (
        <Text>Your care team has not set readings for you to take. You can add a reading at any time.</Text>
      ) : null}
      <Stack gap="sm" component="section" aria-labelledby="other-title">
        <Title order={2} size="h3" id="other-title">
          {tasks.length > 0 ? 'Other readings' : 'Add a reading'}
        </Title>
        <Stack gap="sm" component="ul" style={LIST}>
          {(data ? others : VITAL_SIGNS).map((vital) => (
            <OtherReading key={vital.key} vital={vital} />
          ))}
        </Stack>
      </Stack>
    </Stack>
  );
}
