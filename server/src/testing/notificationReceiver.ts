// Test helper: a local HTTP endpoint that records the rest-hook notifications it receives and answers as told.
import http from 'node:http';

export interface ReceivedNotification {
  headers: http.IncomingHttpHeaders;
  body: string;
  at: number;
}

export interface NotificationReceiver {
  url: string;
  received: ReceivedNotification[];
  /** Status code for the next requests (default 200). */
  respondWith(status: number): void;
  /** Resolves when at least n notifications have arrived (rejects after timeoutMs). */
  waitFor(n: number, timeoutMs?: number): Promise<ReceivedNotification[]>;
  close(): Promise<void>;
}

export async function startNotificationReceiver(): Promise<NotificationReceiver> {
  const received: ReceivedNotification[] = [];
  let status = 200;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    respondWith: (s) => (status = s),
    async waitFor(n, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (received.length < n) {
        if (Date.now() > deadline) {
          throw new Error(`Expected ${n} notifications, got ${received.length} in ${timeoutMs} ms`);
        }
        await new Promise((r) => setTimeout(r, 20));
      }
      return received;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
