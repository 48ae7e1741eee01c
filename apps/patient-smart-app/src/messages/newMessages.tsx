// New messages on every screen: the count (live through a websocket Subscription, else polled), the menu mark, and a spoken cue.
import { Badge, VisuallyHidden } from '@mantine/core';
import { useMedplum } from '@medplum/react';
import { useCallback, useEffect, useMemo, useState, useSyncExternalStore } from 'react';
import { useLocation } from 'react-router';
import { mayOfferLiveUpdates } from '../../../shared/fhirLive/liveChannel.ts';
import { useLiveChannel, type LiveState } from '../../../shared/fhirLive/useLiveChannel.ts';
import { usePatientContext } from '../smart/usePatientContext.tsx';
import { LIVE_REASON, liveCriteria, newMessageCount, newMessagesWords, POLL_INTERVAL_MS } from './messageThread.ts';

export interface NewMessages {
  /** Messages to the patient they have not seen yet (no `received`). */
  count: number;
  /** Goes up each time the server says a message to the patient changed: an open thread loads again. */
  changes: number;
  /** Counts again (after the Messages screen marked messages as received). */
  recount(): void;
}

const NONE: NewMessages = { count: 0, changes: 0, recount: () => undefined };

/** The app's one count (a signed-in phone shows one patient), kept by NewMessagesWatcher, read by any screen. */
let current: NewMessages = NONE;
const listeners = new Set<() => void>();

function publish(next: NewMessages): void {
  current = next;
  listeners.forEach((listener) => listener());
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** The new-message count and changes, on any screen (zero until NewMessagesWatcher has counted). */
export function useNewMessages(): NewMessages {
  return useSyncExternalStore(subscribe, () => current);
}

/**
 * Keeps the new-message count for the whole app (rendered once, in the frame). Where the server offers websocket
 * Subscriptions, the patient's own Subscription on `Communication?recipient=Patient/<id>` reports each change at
 * once; otherwise (or while the socket is down) the count is fetched every POLL_INTERVAL_MS. Also says "1 new message
 * from your care team" to screen readers when the count goes up away from the Messages screen.
 */
export function NewMessagesWatcher() {
  const medplum = useMedplum();
  const { patientReference } = usePatientContext();
  const [count, setCount] = useState(0);
  const [changes, setChanges] = useState(0);

  const recount = useCallback(async (): Promise<void> => {
    try {
      const messages = await medplum.searchResources(
        'Communication',
        { recipient: patientReference, _sort: '-sent', _count: '200' },
        { cache: 'no-cache' }
      );
      setCount(newMessageCount(messages, patientReference));
    } catch {
      // Offline or a passing error: keep the last count; the next poll or change tries again.
    }
  }, [medplum, patientReference]);

  const criteria = useMemo(() => [liveCriteria(patientReference)], [patientReference]);
  const changed = (): void => {
    setChanges((c) => c + 1);
    void recount();
  };
  const live = useLiveChannel(
    medplum,
    mayOfferLiveUpdates(medplum),
    { onEvents: changed, onMissed: changed },
    criteria,
    LIVE_REASON
  );

  useEffect(() => {
    void recount();
    if (live === 'live') {
      return undefined;
    }
    const timer = setInterval(() => void recount(), POLL_INTERVAL_MS);
    return () => clearInterval(timer);
  }, [recount, live]);

  const recountNow = useCallback(() => void recount(), [recount]);
  useEffect(() => publish({ count, changes, recount: recountNow }), [count, changes, recountNow]);
  useEffect(() => () => publish(NONE), []);
  return <NewMessagesCue count={count} live={live} />;
}

/** A polite live region: when the count goes up (not on the Messages screen, which says it itself). */
function NewMessagesCue(props: { count: number; live: LiveState }) {
  const onMessages = useLocation().pathname.endsWith('/messages');
  const [spoken, setSpoken] = useState('');
  const [last, setLast] = useState(0);
  if (props.count !== last) {
    setLast(props.count);
    setSpoken(props.count > last && !onMessages ? `${newMessagesWords(props.count)} from your care team.` : '');
  }
  return (
    // data-live: whether messages arrive live ('live') or by polling, for tests and support.
    <VisuallyHidden role="status" data-testid="new-messages-cue" data-live={props.live}>
      {spoken}
    </VisuallyHidden>
  );
}

/**
 * The Messages item of the menu: its name, and when there are new messages a badge with the count in words ("2 new";
 * not colour alone). Screen readers hear the link as "Messages, 2 new messages".
 */
export function MessagesMenuLabel(props: { label: string }) {
  const { count } = useNewMessages();
  return (
    <span style={{ display: 'flex', flexDirection: 'column', alignItems: 'center', gap: 2 }}>
      <span>{props.label}</span>
      {count > 0 ? (
        <>
          <Badge component="span" size="sm" color="red.9" variant="filled" tt="none" aria-hidden="true">
            {count} new
          </Badge>
          <VisuallyHidden component="span">, {newMessagesWords(count)}</VisuallyHidden>
        </>
      ) : null}
    </span>
  );
}
