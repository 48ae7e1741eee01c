// The patient banner: name, NHS number (3-3-4), age and programme, so the clinician knows whose record this is.
import { Group, Paper, Text, Title } from '@mantine/core';
import type { Patient } from '@medplum/fhirtypes';
import { ageInYears, displayName, nhsNumber } from './patientDetails.ts';

function Detail(props: { label: string; value: string }) {
  return (
    <Text size="sm">
      <Text span c="dark.5">
        {props.label}{' '}
      </Text>
      <Text span fw={600}>
        {props.value}
      </Text>
    </Text>
  );
}

export function PatientBanner(props: { patient: Patient; programme?: string }) {
  const { patient } = props;
  const age = ageInYears(patient.birthDate, new Date());
  return (
    <Paper withBorder p="md" component="section" aria-label="Patient banner" data-testid="patient-banner">
      <Title order={2} size="h3">
        {displayName(patient)}
      </Title>
      <Group gap="lg" mt={4}>
        <Detail label="NHS number" value={nhsNumber(patient) ?? 'not recorded'} />
        <Detail label="Age" value={age !== undefined ? `${age} years` : 'unknown'} />
        {patient.gender ? <Detail label="Gender" value={patient.gender} /> : null}
        <Detail label="Programme" value={props.programme ?? 'not enrolled'} />
      </Group>
    </Paper>
  );
}
