// The outbox for every screen: add a reading, see what waits; sends at start, when the phone is back online, on back-off.
import type { MedplumClient } from '@medplum/core';
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { usePatientContext } from '../smart/usePatientContext.tsx';
import type { OutboxItem } from './outboxItem.ts';
import { IndexedDbOutboxStore, type OutboxStore } from './outboxStore.ts';
import { sendDueItems } from './sendOutbox.ts';

export interface Outbox {
  /** Every reading on the phone: waiting, sent (kept for two days) or refused. */
  items: OutboxItem[];
  /** Keeps the reading on the phone, then tries to send it at once; resolves with the item after that try. */
  add(item: OutboxItem): Promise<OutboxItem | undefined>;
  /** Try the waiting readings now (the "Send now" button), whatever their back-off. */
  sendNow(): Promise<void>;
  /** Forget a refused reading (the patient has read why). */
  dismiss(id: string): Promise<void>;
  /** Counts up after each pass that sent something, so screens reload what the server has. */
  sentVersion: number;
}

const Context = createContext<Outbox | undefined>(undefined);

export function OutboxProvider(props: { medplum: MedplumClient; children: ReactNode }) {
  const { patientId } = usePatientContext();
  const store = useMemo<OutboxStore>(() => new IndexedDbOutboxStore(patientId), [patientId]);
  const [items, setItems] = useState<OutboxItem[]>([]);
  const [sentVersion, setSentVersion] = useState(0);
  const running = useRef<Promise<void> | undefined>(undefined);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  /** One pass at a time; a pass asked for during another runs after it. */
  const pass = useCallback(
    (force = false): Promise<void> => {
      const run = async (): Promise<void> => {
        if (force) {
          for (const item of await store.all()) {
            if (item.state === 'waiting') {
              await store.put({ ...item, nextAttemptAt: 0 });
            }
          }
        }
        const before = (await store.all()).filter((item) => item.state === 'sent').length;
        const after = await sendDueItems(store, props.medplum);
        setItems(after);
        if (after.filter((item) => item.state === 'sent').length !== before) {
          setSentVersion((v) => v + 1);
        }
        clearTimeout(timer.current);
        const next = Math.min(...after.filter((i) => i.state === 'waiting').map((i) => i.nextAttemptAt));
        if (Number.isFinite(next)) {
          timer.current = setTimeout(() => void pass(), Math.max(next - Date.now(), 1_000));
        }
      };
      const chained = (running.current ?? Promise.resolve()).then(run, run).catch(() => undefined);
      running.current = chained;
      return chained;
    },
    [store, props.medplum]
  );

  useEffect(() => {
    void store.all().then(setItems);
    void pass();
    const online = (): void => void pass(true);
    window.addEventListener('online', online);
    return () => {
      window.removeEventListener('online', online);
      clearTimeout(timer.current);
    };
  }, [store, pass]);

  const add = useCallback(
    async (item: OutboxItem): Promise<OutboxItem | undefined> => {
      await store.put(item);
      setItems(await store.all());
      await pass();
      return (await store.all()).find((stored) => stored.id === item.id);
    },
    [store, pass]
  );

  const dismiss = useCallback(
    async (id: string): Promise<void> => {
      await store.delete(id);
      setItems(await store.all());
    },
    [store]
  );

  const value = useMemo<Outbox>(
    () => ({ items, add, sendNow: () => pass(true), dismiss, sentVersion }),
    [items, add, pass, dismiss, sentVersion]
  );
  return <Context.Provider value={value}>{props.children}</Context.Provider>;
}

export function useOutbox(): Outbox {
  const outbox = useContext(Context);
  if (!outbox) {
    throw new Error('useOutbox outside OutboxProvider');
  }
  return outbox;
}
