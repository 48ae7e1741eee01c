// "Signed in as Nurse Sam Bennett": the user's name from their fhirUser resource (the reference if it cannot be read).
import { Text } from '@mantine/core';
import { formatHumanName, getReferenceString } from '@medplum/core';
import type { Practitioner } from '@medplum/fhirtypes';
import { useMedplum, useResource } from '@medplum/react';

export function SignedInUser(props: { reference: string }) {
  // The session read the user at launch (smartSession.ts): that copy, rather than a second read.
  const profile = useMedplum().getProfile() as Practitioner | undefined;
  const known = profile && getReferenceString(profile) === props.reference ? profile : undefined;
  const user = useResource<Practitioner>(known ?? { reference: props.reference });
  const name = user?.name?.[0] ? formatHumanName(user.name[0]) : props.reference;
  return (
    <Text size="sm" c="dark.6">
      Signed in as {name}
    </Text>
  );
}
