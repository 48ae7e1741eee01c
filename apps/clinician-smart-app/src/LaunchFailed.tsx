// Shown when the SMART launch cannot complete (refused, expired, opened without a launch): what happened, how to retry.
import { Anchor, Container, Text, Title } from '@mantine/core';

export function LaunchFailed(props: { error: unknown; launchUrl: string }) {
  const message = props.error instanceof Error ? props.error.message : String(props.error);
  return (
    <Container component="main" size="sm" py="xl">
      <Title order={1}>The clinician workspace could not open</Title>
      <Text role="alert" mt="md">
        {message}
      </Text>
      <Text mt="md">
        <Anchor href={props.launchUrl}>Sign in again</Anchor>
      </Text>
    </Container>
  );
}
