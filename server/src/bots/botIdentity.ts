// Each bot is its own OAuth client: the runtime mints it short-lived tokens carrying only the Bot's scopes.
import crypto from 'node:crypto';
import type { Bot } from '@medplum/fhirtypes';
import type Provider from 'oidc-provider';
import { findClient, saveClient, type StoredClientMetadata } from '../auth/clients.ts';
import type { Db } from '../db/pool.ts';
import { botScopes } from './botExtensions.ts';

const BOT_CLIENT_PREFIX = 'bot-';

/** The OAuth client id of a bot: its FHIR id with a prefix, so the audit trail names it. */
export function botClientId(botId: string): string {
  return `${BOT_CLIENT_PREFIX}${botId}`;
}

/** True for a client id made by botClientId: a Bot run by this server (only the server mints its tokens). */
export function isBotClient(clientId: string | undefined): boolean {
  return clientId?.startsWith(BOT_CLIENT_PREFIX) === true;
}

interface CachedToken {
  token: string;
  scopes: string;
  expiresAt: number;
}

/**
 * Keeps a client per bot (client_credentials with a random secret nobody holds: tokens come only from here) whose
 * fhir_scopes are the Bot's, and caches one token per bot until shortly before it expires. Changing a Bot's
 * scopes takes effect on its next run (a new client and token).
 */
export class BotIdentities {
  private readonly tokens = new Map<string, CachedToken>();
  private readonly pool: Db;
  private readonly provider: Provider;
  private readonly fhirBaseUrl: string;

  constructor(pool: Db, provider: Provider, fhirBaseUrl: string) {
    this.pool = pool;
    this.provider = provider;
    this.fhirBaseUrl = fhirBaseUrl;
  }

  async tokenFor(bot: Bot & { id: string }): Promise<string> {
    const scopes = botScopes(bot);
    const cached = this.tokens.get(bot.id);
    if (cached && cached.scopes === scopes && cached.expiresAt > Date.now() + 60_000) {
      return cached.token;
    }
    const clientId = botClientId(bot.id);
    const wanted: StoredClientMetadata = {
      client_id: clientId,
      client_name: `Bot ${bot.name ?? bot.id}`,
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'client_secret_basic',
      fhir_scopes: scopes,
    };
    const existing = await findClient(this.pool, clientId);
    if (!existing || existing.fhir_scopes !== scopes || existing.client_name !== wanted.client_name) {
      await saveClient(this.pool, wanted, crypto.randomBytes(32).toString('base64url'));
    }
    const client = await this.provider.Client.find(clientId);
    if (!client) {
      throw new Error(`The bot's client ${clientId} could not be loaded`);
    }
    const token = new this.provider.ClientCredentials({
      client,
      scope: scopes,
      aud: this.fhirBaseUrl,
    } as ConstructorParameters<Provider['ClientCredentials']>[0]);
    const value = await token.save();
    this.tokens.set(bot.id, { token: value, scopes, expiresAt: Date.now() + (token.expiration ?? 3600) * 1000 });
    return value;
  }
}
