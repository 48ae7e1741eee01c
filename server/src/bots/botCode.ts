// Stores a bot's deployed JavaScript as a Binary and loads it into a content-addressed file the workers import.
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { badRequest, OperationOutcomeError } from '@medplum/core';
import type { Binary, Bot } from '@medplum/fhirtypes';
import type { PostgresRepository } from '../fhir/repository/postgresRepository.ts';

/** Where loaded bot code is written (one file per distinct code, named by its SHA-256). */
const CODE_DIR = path.join(os.tmpdir(), `rpm-bots-${process.getuid?.() ?? 'user'}`);

/** Largest accepted bot bundle. */
export const MAX_BOT_CODE_BYTES = 5 * 1024 * 1024;

/** Stores `code` (an ES module exporting `handler`) and returns the Bot pointing at it (not yet saved). */
export async function storeBotCode(repo: PostgresRepository, bot: Bot, code: string): Promise<Bot> {
  const bytes = Buffer.byteLength(code, 'utf8');
  if (bytes === 0 || bytes > MAX_BOT_CODE_BYTES) {
    throw new OperationOutcomeError(badRequest(`Bot code must be 1 byte to ${MAX_BOT_CODE_BYTES} bytes`));
  }
  if (!/\bexport\b/.test(code) || !/\bhandler\b/.test(code)) {
    throw new OperationOutcomeError(badRequest('Bot code must be an ES module that exports a function named handler'));
  }
  const hash = crypto.createHash('sha256').update(code).digest('base64');
  const binary = await repo.createResource<Binary>({
    resourceType: 'Binary',
    contentType: 'text/javascript',
    data: Buffer.from(code, 'utf8').toString('base64'),
  });
  return {
    ...bot,
    executableCode: {
      contentType: 'text/javascript',
      url: `Binary/${binary.id}`,
      hash,
      size: bytes,
      creation: new Date().toISOString(),
    },
  };
}

const loaded = new Map<string, string>();

/** A file:// URL of the bot's current code, written once per distinct code; undefined when none is deployed. */
export async function loadBotCode(repo: PostgresRepository, bot: Bot): Promise<string | undefined> {
  const reference = bot.executableCode?.url;
  if (!reference?.startsWith('Binary/')) {
    return undefined;
  }
  const cached = loaded.get(reference);
  if (cached) {
    return cached;
  }
  const binary = await repo.readResource<Binary>('Binary', reference.slice('Binary/'.length));
  const code = Buffer.from(binary.data ?? '', 'base64');
  const hash = crypto.createHash('sha256').update(code).digest('hex');
  await fs.mkdir(CODE_DIR, { recursive: true, mode: 0o700 });
  const file = path.join(CODE_DIR, `${hash}.mjs`);
  // Other processes on this host may be importing the same file: never truncate it in place. Write a private
  // temporary file and rename it over (atomic), so an importer sees the whole file or none.
  const temporary = `${file}.${process.pid}.${crypto.randomUUID()}.tmp`;
  await fs.writeFile(temporary, code, { mode: 0o600 });
  await fs.rename(temporary, file);
  const url = pathToFileURL(file).href;
  loaded.set(reference, url);
  return url;
}
