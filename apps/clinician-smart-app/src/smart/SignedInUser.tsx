// "Signed in as Nurse Sam Bennett": the user's name from their fhirUser resource (the reference if it cannot be read).
import { Text } from '@mantine/core';
import { formatHumanName } from '@medplum/core';
import type { Practitioner } from '@medplum/fhirtypes';
import { useResource } from '@medplum/react';

export function SignedInUser(props: { reference: string }) {
  const user = useResource<Practitioner>({ reference: props.reference });
  const name = user?.name?.[0] ? formatHumanName(user.name[0]) : props.reference;
  return (
    <Text size="sm" c="dark.6">
      Signed in as {name}
    </Text>
  );
}
