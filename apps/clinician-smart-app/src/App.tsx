// The app's frame and routes: the caseload worklist, and the patient view (where an EHR launch opens).
import { Anchor, AppShell, Group, Loader } from '@mantine/core';
import { MedplumProvider } from '@medplum/react';
import { lazy, Suspense } from 'react';
import { BrowserRouter, Link, Navigate, Route, Routes, useNavigate } from 'react-router';
import { SignedInUser } from './smart/SignedInUser.tsx';
import type { SmartSession } from './smart/smartSession.ts';
import { LaunchContextProvider } from './smart/useLaunchContext.tsx';
import { WorklistPage } from './worklist/WorklistPage.tsx';

const PatientPage = lazy(() => import('./patient/PatientPage.tsx'));
const EnrolmentPage = lazy(() => import('./enrolment/EnrolmentPage.tsx'));

/** The router's base: /apps/clinician (Vite's base without its trailing slash). */
const BASENAME = import.meta.env.BASE_URL.replace(/\/$/, '');

function Frame(props: { session: SmartSession }) {
  const navigate = useNavigate();
  const { context } = props.session;
  return (
    <MedplumProvider medplum={props.session.medplum} navigate={(path) => navigate(path)}>
      <LaunchContextProvider value={context}>
        <AppShell header={{ height: 56 }} padding="md">
          <AppShell.Header>
            <Group h="100%" px="md" justify="space-between" component="nav" aria-label="Main">
              <Anchor component={Link} to="/worklist" fw={700} c="dark.9">
                RPM clinician workspace
              </Anchor>
              {context.fhirUser ? <SignedInUser reference={context.fhirUser} /> : null}
            </Group>
          </AppShell.Header>
          <AppShell.Main>
            <Suspense fallback={<Loader role="status" aria-label="Loading" />}>
              <Routes>
                <Route
                  path="/"
                  element={context.patient ? <Navigate to={`/patient/${context.patient}`} replace /> : <WorklistPage />}
                />
                <Route path="/worklist" element={<WorklistPage />} />
                <Route path="/patient/:id" element={<PatientPage />} />
                <Route path="/enrol" element={<EnrolmentPage />} />
                <Route path="*" element={<Navigate to="/" replace />} />
              </Routes>
            </Suspense>
          </AppShell.Main>
        </AppShell>
      </LaunchContextProvider>
    </MedplumProvider>
  );
}

export function App(props: { session: SmartSession }) {
  return (
    <BrowserRouter basename={BASENAME}>
      <Frame session={props.session} />
    </BrowserRouter>
  );
}
