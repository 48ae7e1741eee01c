// The demo simulation against a real server: simulated devices' readings arrive through gateway bundles; stop() ends it.
import type { Bundle } from '@medplum/fhirtypes';
import { expect, test } from 'vitest';
import { useTestServer } from '../testing/testServer.ts';
import { startDemoSimulation } from './demoSimulation.ts';

const ctx = useTestServer();

test('readings from simulated devices arrive within seconds, and stop() ends the child process', async () => {
  const simulation = startDemoSimulation(ctx.server.config, ctx.server.baseUrl);
  try {
    const deadline = Date.now() + 60_000;
    let total = 0;
    while (Date.now() < deadline && total === 0) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const response = await ctx.api('Observation?device:missing=false&_summary=count');
      total = ((await response.json()) as Bundle).total ?? 0;
    }
    expect(total).toBeGreaterThan(0);
  } finally {
    const started = Date.now();
    await simulation.stop();
    expect(Date.now() - started).toBeLessThan(6000);
  }
}, 90_000);
