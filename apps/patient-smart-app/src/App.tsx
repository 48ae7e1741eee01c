// The app's frame: header (who is signed in, readings waiting to send), the screens of navigation.ts, a bottom menu.
import { AppShell, Group, Loader, Text, UnstyledButton } from '@mantine/core';
import { MedplumProvider } from '@medplum/react';
import { lazy, Suspense, useMemo } from 'react';
import { BrowserRouter, Navigate, NavLink, Route, Routes, useNavigate } from 'react-router';
import { MessagesMenuLabel, NewMessagesWatcher } from './messages/newMessages.tsx';
import { screenHref, SCREENS } from './navigation.ts';
import { OutboxProvider } from './outbox/OutboxProvider.tsx';
import { OutboxStatus } from './outbox/OutboxStatus.tsx';
import type { SmartSession } from './smart/smartSession.ts';
import { PatientContextProvider } from './smart/usePatientContext.tsx';
import classes from './App.module.css';

/** The router's base: /apps/patient (Vite's base without its trailing slash). */
const BASENAME = import.meta.env.BASE_URL.replace(/\/$/, '');

function BottomMenu() {
  const items = SCREENS.filter((screen) => screen.inMenu !== false);
  return (
    <Group component="nav" aria-label="Main" h="100%" gap={0} grow wrap="nowrap">
      {items.map((screen) => (
        <UnstyledButton key={screen.path} component={NavLink} to={screenHref(screen)} className={classes.menuLink}>
          {screen.path === 'messages' ? <MessagesMenuLabel label={screen.label} /> : screen.label}
        </UnstyledButton>
      ))}
    </Group>
  );
}

function Frame(props: { session: SmartSession }) {
  const navigate = useNavigate();
  const pages = useMemo(() => SCREENS.map((screen) => ({ screen, Page: lazy(screen.load) })), []);
  const home = SCREENS[0] ? screenHref(SCREENS[0]) : '/';
  return (
    <MedplumProvider medplum={props.session.medplum} navigate={(path) => navigate(path)}>
      <PatientContextProvider value={props.session.context}>
        <OutboxProvider medplum={props.session.medplum}>
          <AppShell header={{ height: 56 }} footer={{ height: 64 }} padding="md">
            <AppShell.Header>
              <Group h="100%" px="md" gap="xs" justify="space-between" wrap="nowrap">
                <Text fw={700} size="sm" lh={1.2} component="p">
                  My health readings
                </Text>
                <OutboxStatus />
              </Group>
            </AppShell.Header>
            <AppShell.Main className={classes.main}>
              <Suspense fallback={<Loader role="status" aria-label="Loading" />}>
                <Routes>
                  <Route path="/" element={<Navigate to={home} replace />} />
                  {pages.map(({ screen, Page }) => (
                    <Route key={screen.path} path={`/${screen.path}`} element={<Page />} />
                  ))}
                  <Route path="*" element={<Navigate to={home} replace />} />
                </Routes>
              </Suspense>
            </AppShell.Main>
            <AppShell.Footer>
              <BottomMenu />
              <NewMessagesWatcher />
            </AppShell.Footer>
          </AppShell>
        </OutboxProvider>
      </PatientContextProvider>
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
