// Public SMART apps refresh without naming themselves; tell oidc-provider which client the refresh token belongs to.
import type { IncomingMessage } from 'node:http';
import { PassThrough } from 'node:stream';
import type Provider from 'oidc-provider';

/** Token request bodies are small; anything larger is left for oidc-provider to refuse. */
const MAX_BODY_BYTES = 64 * 1024;

async function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) {
      return undefined;
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** A request oidc-provider can read again: the same head, with `body` as its (unread) body. */
function replay(req: IncomingMessage, body: Buffer): IncomingMessage {
  const stream = new PassThrough();
  stream.end(body);
  return Object.assign(stream, {
    headers: { ...req.headers, 'content-length': String(body.length) },
    rawHeaders: req.rawHeaders,
    method: req.method,
    url: req.url,
    // Set by express when mounted: oidc-provider derives its mount path (and so its endpoint URLs) from these.
    originalUrl: (req as IncomingMessage & { originalUrl?: string }).originalUrl,
    baseUrl: (req as IncomingMessage & { baseUrl?: string }).baseUrl,
    httpVersion: req.httpVersion,
    httpVersionMajor: req.httpVersionMajor,
    httpVersionMinor: req.httpVersionMinor,
    socket: req.socket,
    connection: req.socket,
    complete: true,
    aborted: false,
  }) as unknown as IncomingMessage;
}

/**
 * SMART App Launch: public apps authenticate with nothing at the token endpoint, and fhirclient's refresh sends only
 * grant_type and refresh_token. oidc-provider needs the client named, so for a refresh request that names no client
 * (no client_id, no Authorization header, no assertion) this adds the client_id of the refresh token's own client,
 * and only when that client is public (auth method `none`): for a public client the id is not a credential, and the
 * token stays bound to its client. Every other request passes through untouched.
 */
export async function namePublicClientOfRefresh(req: IncomingMessage, provider: Provider): Promise<IncomingMessage> {
  const type = String(req.headers['content-type'] ?? '');
  if (req.method !== 'POST' || req.headers.authorization || !type.startsWith('application/x-www-form-urlencoded')) {
    return req;
  }
  const body = await readBody(req);
  if (!body) {
    return replay(req, Buffer.alloc(0));
  }
  const form = new URLSearchParams(body.toString('utf8'));
  const refreshToken = form.get('refresh_token');
  if (
    form.get('grant_type') !== 'refresh_token' ||
    !refreshToken ||
    form.has('client_id') ||
    form.has('client_assertion')
  ) {
    return replay(req, body);
  }
  const token = await provider.RefreshToken.find(refreshToken);
  const client = token?.clientId ? await provider.Client.find(token.clientId) : undefined;
  if (!client || client.clientAuthMethod !== 'none') {
    return replay(req, body);
  }
  form.set('client_id', client.clientId);
  return replay(req, Buffer.from(form.toString(), 'utf8'));
}
