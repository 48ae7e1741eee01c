// The patient's monitoring schedule (the monitoring CarePlan's activities) in plain words.
import { List, Stack, Text, Title } from '@mantine/core';
import type { CarePlan } from '@medplum/fhirtypes';
import { formatDateTime } from '../../../shared/ui/formatTime.ts';
import { describeSchedule } from './scheduleWording.ts';

export function SchedulePanel(props: { carePlan?: CarePlan; programme?: string }) {
  const { carePlan } = props;
  const schedule = carePlan ? describeSchedule(carePlan) : undefined;
  return (
    <Stack gap="sm" component="section" aria-labelledby="schedule-heading">
      <Title order={2} size="h4" id="schedule-heading">
        Monitoring schedule
      </Title>
      {!carePlan || !schedule ? (
        <Text>Not enrolled in a monitoring programme: no readings are scheduled.</Text>
      ) : (
        <>
          <Text size="sm">
            {props.programme ? `${props.programme}. ` : ''}Readings are due from{' '}
            {formatDateTime(carePlan.period?.start)}
            {carePlan.period?.end ? ` until ${formatDateTime(carePlan.period.end)}` : ''}. Times are {schedule.timeZone}{' '}
            time.
          </Text>
          {schedule.lines.length === 0 ? (
            <Text>No readings are scheduled in this plan.</Text>
          ) : (
            <List data-testid="schedule">
              {schedule.lines.map((line, index) => (
                <List.Item key={index}>{line.text}</List.Item>
              ))}
            </List>
          )}
        </>
      )}
    </Stack>
  );
}
