// The readings of the chosen range as a table, newest first: the accessible record of what the charts draw.
import { Table, Text } from '@mantine/core';
import type { Observation } from '@medplum/fhirtypes';
import { readingTime } from '../fhir/readings.ts';
import { formatDateTime } from '../../../shared/ui/formatTime.ts';
import { formatPoint, readingPoint, VITAL_SIGNS } from './vitalSigns.ts';

interface Row {
  id: string;
  time: string;
  measure: string;
  value: string;
}

function rowsOf(observations: readonly Observation[]): Row[] {
  const rows: Row[] = [];
  for (const observation of observations) {
    for (const definition of VITAL_SIGNS) {
      const point = readingPoint(observation, definition);
      if (point) {
        rows.push({
          id: `${observation.id}-${definition.kind}`,
          time: readingTime(observation) ?? '',
          measure: definition.label,
          value: formatPoint(point, definition),
        });
      }
    }
  }
  return rows.sort((a, b) => b.time.localeCompare(a.time));
}

export function ReadingsTable(props: { observations: readonly Observation[] }) {
  const rows = rowsOf(props.observations);
  if (rows.length === 0) {
    return <Text>No readings in this period.</Text>;
  }
  return (
    <Table.ScrollContainer minWidth={480}>
      <Table striped verticalSpacing="xs" data-testid="readings">
        <Table.Caption>{rows.length} readings, newest first</Table.Caption>
        <Table.Thead>
          <Table.Tr>
            <Table.Th scope="col">Taken</Table.Th>
            <Table.Th scope="col">Measure</Table.Th>
            <Table.Th scope="col">Value</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {rows.map((row) => (
            <Table.Tr key={row.id}>
              <Table.Td>{formatDateTime(row.time)}</Table.Td>
              <Table.Td>{row.measure}</Table.Td>
              <Table.Td>{row.value}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
