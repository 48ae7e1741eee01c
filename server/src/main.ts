// `npm start`: runs the server with configuration from the environment, prints where it is, stops cleanly on Ctrl-C.
import { ConfigError, loadConfig } from './config.ts';
import { startServer, type RunningServer } from './server.ts';
import { startDemoSimulation, type DemoSimulation } from './devices/demoSimulation.ts';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`Configuration error: ${err.message}`);
      process.exit(2);
    }
    throw err;
  }
  console.log(
    config.databaseUrl
      ? 'Using PostgreSQL from DATABASE_URL'
      : `Starting embedded PostgreSQL in ${config.embeddedDataDir} ...`
  );
  // Ctrl-C during start-up (migrations, demo data, bot bundling) waits for start-up to finish, then stops cleanly.
  const starting = startServer(config);
  let stopping = false;
  let simulation: DemoSimulation | undefined;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) {
      return;
    }
    stopping = true;
    console.log(`\n${signal}: stopping ...`);
    await simulation?.stop();
    const running = await starting.catch(() => undefined);
    await running?.close();
    console.log('Stopped.');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  const server: RunningServer = await starting;
  if (stopping) {
    return;
  }

  console.log(`
RPM FHIR server is running
  FHIR R4 API      ${server.fhirBaseUrl}
  Capabilities     ${server.fhirBaseUrl}/metadata
  Token endpoint   ${server.tokenUrl}
  SMART discovery  ${server.fhirBaseUrl}/.well-known/smart-configuration
  Clinician app    ${config.clinicianAppUrl}launch.html
  Patient app      ${config.patientAppUrl}launch.html${
    config.ehrLauncher
      ? `
  EHR launcher     ${server.baseUrl}/oauth2/ehr-launcher (demo)`
      : ''
  }
  Admin client     ${config.adminClientId}${config.production ? '' : ` / ${config.adminClientSecret} (development default)`}
  Get a token      curl -s -u '${config.adminClientId}:<secret>' -d grant_type=client_credentials -d 'scope=system/*.*' ${server.tokenUrl}
${server.demo ? `  Demo data        ${server.demo.summary}\n` : ''}${
    config.demoSimulation
      ? '  Demo simulation  5 simulated patients, a reading a minute (RPM_DEMO_SIMULATION=false: off)\n'
      : ''
  }Press Ctrl-C to stop.`);
  if (config.demoSimulation) {
    simulation = startDemoSimulation(config, server.baseUrl);
  }
}

main().catch((err) => {
  console.error('Failed to start:', err instanceof Error ? err.message || err : (err ?? 'no reason given (see above)'));
  process.exit(1);
});
