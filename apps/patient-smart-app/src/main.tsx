// index.html: finishes the SMART launch, registers the service worker (installable, works offline), renders the app.
import '@mantine/core/styles.css';
import { MantineProvider } from '@mantine/core';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.tsx';
import { LaunchFailed } from './LaunchFailed.tsx';
import { relaunchUrl } from './launch/relaunch.ts';
import { registerServiceWorker } from './pwa/registerServiceWorker.ts';
import { startSmartSession } from './smart/smartSession.ts';
import { cssVariablesResolver, theme } from './ui/theme.ts';

const root = createRoot(document.getElementById('root') as HTMLElement);

function sessionExpired(): void {
  window.location.assign(relaunchUrl());
}

registerServiceWorker();

startSmartSession(sessionExpired).then(
  (session) => {
    root.render(
      <StrictMode>
        <MantineProvider theme={theme} cssVariablesResolver={cssVariablesResolver}>
          <App session={session} />
        </MantineProvider>
      </StrictMode>
    );
  },
  (err: unknown) => {
    root.render(
      <MantineProvider theme={theme} cssVariablesResolver={cssVariablesResolver}>
        <LaunchFailed error={err} launchUrl={relaunchUrl()} />
      </MantineProvider>
    );
  }
);
