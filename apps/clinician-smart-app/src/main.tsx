// index.html: finishes the SMART launch, then renders the app with the session's FHIR client.
import '@mantine/core/styles.css';
import { MantineProvider } from '@mantine/core';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.tsx';
import { LaunchFailed } from './LaunchFailed.tsx';
import { relaunchUrl, rememberReturnPath, takeReturnPath } from './launch/relaunch.ts';
import { startSmartSession } from './smart/smartSession.ts';
import { loadSmartStyle } from './smart/smartStyle.ts';
import { opensOnWorklist, startCaseloadLoad } from './worklist/caseloadStart.ts';
import { cssVariablesResolver, smartStyleVariables, theme, themeWithSmartStyle } from './ui/theme.ts';

const root = createRoot(document.getElementById('root') as HTMLElement);

function sessionExpired(): void {
  rememberReturnPath(window.location.pathname);
  window.location.assign(relaunchUrl());
}

startSmartSession(sessionExpired).then(
  async (session) => {
    // Back from a launch after the session ended: the page the clinician was on (its typed text is in drafts).
    const returnTo = takeReturnPath();
    if (returnTo) {
      window.history.replaceState(null, '', returnTo);
    }
    // Opening on the worklist: its requests start now, alongside the style and the user's own resource.
    if (opensOnWorklist(window.location.pathname, import.meta.env.BASE_URL, session.context.patient)) {
      startCaseloadLoad(session.medplum, session.context.fhirUser);
    }
    // The EHR's (or server's) SMART style; the app's own look when there is none or it cannot be read.
    const [style] = await Promise.all([loadSmartStyle(session.context.styleUrl), session.userLoaded]);
    root.render(
      <StrictMode>
        <MantineProvider theme={themeWithSmartStyle(style)} cssVariablesResolver={smartStyleVariables(style)}>
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
