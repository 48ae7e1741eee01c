// Shown when the sign-in cannot finish (refused, expired, opened without signing in): what happened, how to retry.
import { Anchor, Container, Text, Title } from '@mantine/core';

export function LaunchFailed(props: { error: unknown; launchUrl: string }) {
  const message = props.error instanceof Error ? props.error.message : String(props.error);
  return (
    <Container component="main" size="sm" py="xl">
      <Title order={1}>We could not open your readings</Title>
      <Text role="alert" mt="md">
        {message}
      </Text>
      <Text mt="md">
        <Anchor href={props.launchUrl} size="lg">
          Sign in again
        </Anchor>
      </Text>
    </Container>
  );
}
