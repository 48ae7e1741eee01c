// A boxed message with a coloured edge and dark text (AA contrast); its title says what kind it is, so colour is extra.
import { Paper, Stack, Text } from '@mantine/core';
import type { ReactNode } from 'react';

const EDGE = { success: 'green.8', waiting: 'orange.7', problem: 'red.8', info: 'gray.6' } as const;

export function Notice(props: {
  kind: keyof typeof EDGE;
  title: string;
  children?: ReactNode;
  role?: 'alert' | 'status';
}) {
  const edge = `var(--mantine-color-${EDGE[props.kind].replace('.', '-')})`;
  return (
    <Paper withBorder p="sm" role={props.role} style={{ borderLeft: `6px solid ${edge}` }}>
      <Stack gap={4}>
        <Text fw={700}>{props.title}</Text>
        {props.children}
      </Stack>
    </Paper>
  );
}
