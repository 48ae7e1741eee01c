// The worklist as a table: one row a patient; acuity as words and colour; the patient's name is the link to open them.
import { Anchor, Badge, Group, Table, Text } from '@mantine/core';
import { Link } from 'react-router';
import { displayName, nhsNumber } from '../patient/patientDetails.ts';
import { formatDateTime, timeAgo } from '../ui/formatTime.ts';
import { NEWS2_BAND_LABEL, SEVERITY_COLOR, SEVERITY_LABEL } from './acuity.ts';
import type { WorklistRow } from './loadCaseload.ts';

function AlertCell(props: { row: WorklistRow }) {
  const { alertSeverity, openAlerts } = props.row.acuity;
  if (!alertSeverity) {
    return <Text size="sm">No open alerts</Text>;
  }
  return (
    <Group gap="xs" wrap="nowrap">
      <Badge color={SEVERITY_COLOR[alertSeverity]} autoContrast variant="filled" style={{ flexShrink: 0 }}>
        {SEVERITY_LABEL[alertSeverity]}
      </Badge>
      <Text size="sm">
        {openAlerts} open {openAlerts === 1 ? 'alert' : 'alerts'}
      </Text>
    </Group>
  );
}

function News2Cell(props: { row: WorklistRow }) {
  const news2 = props.row.acuity.news2;
  if (!news2) {
    return <Text size="sm">No recent score</Text>;
  }
  return (
    <Text size="sm">
      <strong>{news2.score}</strong> {NEWS2_BAND_LABEL[news2.band]}
    </Text>
  );
}

function OverdueCell(props: { row: WorklistRow }) {
  const { scheduled, overdue } = props.row.overdue ?? { scheduled: 0, overdue: [] };
  if (scheduled === 0) {
    return <Text size="sm">No schedule</Text>;
  }
  if (overdue.length === 0) {
    return <Text size="sm">None overdue</Text>;
  }
  return (
    <Text size="sm" fw={600}>
      {overdue.length} overdue: {overdue.join(', ')}
    </Text>
  );
}

export function WorklistTable(props: { rows: WorklistRow[]; total: number; now: number }) {
  if (props.total === 0) {
    return <Text>There are no patients on your caseload.</Text>;
  }
  return (
    <Table.ScrollContainer minWidth={720}>
      <Table striped highlightOnHover verticalSpacing="sm" data-testid="worklist">
        <Table.Caption>
          {props.rows.length} of {props.total} patients, most acute first (open alert severity, then NEWS2)
        </Table.Caption>
        <Table.Thead>
          <Table.Tr>
            <Table.Th scope="col">Patient</Table.Th>
            <Table.Th scope="col">Alerts</Table.Th>
            <Table.Th scope="col">NEWS2</Table.Th>
            <Table.Th scope="col">Last reading</Table.Th>
            <Table.Th scope="col">Overdue readings</Table.Th>
            <Table.Th scope="col">Programme</Table.Th>
            <Table.Th scope="col">Care team</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {props.rows.map((row) => (
            <Table.Tr key={row.patient.id} data-patient-id={row.patient.id}>
              <Table.Th scope="row">
                <Anchor component={Link} to={`/patient/${row.patient.id}`} fw={600}>
                  {displayName(row.patient)}
                </Anchor>
                <Text size="xs" c="dark.5">
                  {nhsNumber(row.patient) ? `NHS ${nhsNumber(row.patient)}` : ''}
                </Text>
              </Table.Th>
              <Table.Td>
                <AlertCell row={row} />
              </Table.Td>
              <Table.Td>
                <News2Cell row={row} />
              </Table.Td>
              <Table.Td>
                <Text size="sm" title={formatDateTime(row.lastReading)}>
                  {timeAgo(row.lastReading, props.now)}
                </Text>
              </Table.Td>
              <Table.Td>
                <OverdueCell row={row} />
              </Table.Td>
              <Table.Td>
                <Text size="sm">{row.programme ?? 'Not enrolled'}</Text>
              </Table.Td>
              <Table.Td>
                <Text size="sm">{row.careTeam ?? '—'}</Text>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
