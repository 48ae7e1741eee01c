// Where outbox items live: IndexedDB on the phone (survives closing the app), or memory (tests of the send logic).
import type { OutboxItem } from './outboxItem.ts';

export interface OutboxStore {
  all(): Promise<OutboxItem[]>;
  put(item: OutboxItem): Promise<void>;
  delete(id: string): Promise<void>;
}

const DB_NAME = 'rpm-patient-app';
const STORE = 'outbox';

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error('IndexedDB request failed'));
  });
}

/** The outbox in IndexedDB (`rpm-patient-app` › `outbox`, keyed by the reading's UUID), one database per patient. */
export class IndexedDbOutboxStore implements OutboxStore {
  private readonly db: Promise<IDBDatabase>;

  constructor(patientId: string) {
    this.db = new Promise((resolve, reject) => {
      const open = indexedDB.open(`${DB_NAME}-${patientId}`, 1);
      open.onupgradeneeded = () => {
        open.result.createObjectStore(STORE, { keyPath: 'id' });
      };
      open.onsuccess = () => resolve(open.result);
      open.onerror = () => reject(open.error ?? new Error('IndexedDB could not be opened'));
    });
  }

  private async store(mode: IDBTransactionMode): Promise<IDBObjectStore> {
    return (await this.db).transaction(STORE, mode).objectStore(STORE);
  }

  async all(): Promise<OutboxItem[]> {
    const items = await request((await this.store('readonly')).getAll() as IDBRequest<OutboxItem[]>);
    return items.sort((a, b) => a.takenAt.localeCompare(b.takenAt));
  }

  async put(item: OutboxItem): Promise<void> {
    await request((await this.store('readwrite')).put(item));
  }

  async delete(id: string): Promise<void> {
    await request((await this.store('readwrite')).delete(id));
  }
}

/** The same in memory. */
export class MemoryOutboxStore implements OutboxStore {
  private readonly items = new Map<string, OutboxItem>();

  async all(): Promise<OutboxItem[]> {
    return [...this.items.values()].sort((a, b) => a.takenAt.localeCompare(b.takenAt));
  }

  async put(item: OutboxItem): Promise<void> {
    this.items.set(item.id, structuredClone(item));
  }

  async delete(id: string): Promise<void> {
    this.items.delete(id);
  }
}
