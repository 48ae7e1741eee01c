// Test support: a local HTTP server that speaks GOV.UK Notify's v2 send API (JWT auth, templates, errors) for the real client.
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface NotifyRequest {
  method: string;
  path: string;
  authorization?: string;
  /** The bearer JWT's claims, when it verified. */
  claims?: { iss?: string; iat?: number };
  body: Record<string, unknown>;
  /** What the server answered. */
  status?: number;
  reply?: Record<string, unknown>;
}

export interface NotifyErrorReply {
  status: number;
  errors: { error: string; message: string }[];
}

export interface TestNotifyServer {
  baseUrl: string;
  /** An API key the server accepts: `<name>-<service id>-<secret>`. */
  apiKey: string;
  serviceId: string;
  smsTemplateId: string;
  emailTemplateId: string;
  requests: NotifyRequest[];
  /** Answer the next send with this error instead (one per call, in order). */
  failNext(reply: NotifyErrorReply): void;
  close(): Promise<void>;
}

const UK_MOBILE = /^(?:\+44|0044|0)7\d{9}$/;

export async function startTestNotifyServer(): Promise<TestNotifyServer> {
  const serviceId = randomUUID();
  const secret = randomUUID();
  const smsTemplateId = randomUUID();
  const emailTemplateId = randomUUID();
  const requests: NotifyRequest[] = [];
  const failures: NotifyErrorReply[] = [];
  const templates: Record<string, { type: 'sms' | 'email'; subject?: string; body: string }> = {
    [smsTemplateId]: { type: 'sms', body: '((message))' },
    [emailTemplateId]: { type: 'email', subject: '((subject))', body: '((message))' },
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const reply = (status: number, answer: Record<string, unknown>): void => {
        const request = requests[requests.length - 1];
        if (request) {
          request.status = status;
          request.reply = answer;
        }
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(answer));
      };
      const error = (status: number, name: string, message: string): void =>
        reply(status, { status_code: status, errors: [{ error: name, message }] });

      let body: Record<string, unknown>;
      try {
        body = chunks.length ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>) : {};
      } catch {
        requests.push({ method: req.method ?? '', path: req.url ?? '', body: {} });
        return error(400, 'BadRequestError', 'Invalid JSON supplied in POST data');
      }
      const authorization = req.headers.authorization;
      const claims = verifyToken(authorization, secret);
      const path = req.url ?? '';
      requests.push({ method: req.method ?? '', path, authorization, claims, body });

      if (!claims) {
        return error(403, 'AuthError', 'Invalid token: API key not found');
      }
      if (claims.iss !== serviceId) {
        return error(403, 'AuthError', 'Invalid token: service not found');
      }
      if (Math.abs(Date.now() / 1000 - (claims.iat ?? 0)) > 30) {
        return error(403, 'AuthError', 'Error: Your system clock must be accurate to within 30 seconds');
      }
      const type = req.method === 'POST' ? /^\/v2\/notifications\/(sms|email)$/.exec(path)?.[1] : undefined;
      if (!type) {
        return error(404, 'ResourceNotFound', 'Resource not found');
      }
      const failure = failures.shift();
      if (failure) {
        return reply(failure.status, { status_code: failure.status, errors: failure.errors });
      }
      const template = templates[String(body.template_id)];
      if (!template || template.type !== type) {
        return error(400, 'BadRequestError', 'Template not found');
      }
      const personalisation = (body.personalisation ?? {}) as Record<string, string>;
      const render = (text: string): string | undefined => {
        let missing = false;
        const out = text.replace(/\(\(([^)]+)\)\)/g, (_m, name: string) => {
          if (personalisation[name] === undefined) {
            missing = true;
          }
          return personalisation[name] ?? '';
        });
        return missing ? undefined : out;
      };
      const rendered = render(template.body);
      const subject = template.subject ? render(template.subject) : undefined;
      if (rendered === undefined || (template.subject && subject === undefined)) {
        return error(400, 'BadRequestError', 'Missing personalisation: message');
      }
      const id = randomUUID();
      const common = {
        id,
        reference: body.reference ?? null,
        uri: `${baseUrl}/v2/notifications/${id}`,
        template: {
          id: body.template_id,
          version: 1,
          uri: `${baseUrl}/services/${serviceId}/templates/${String(body.template_id)}`,
        },
      };
      if (type === 'sms') {
        const phone = String(body.phone_number ?? '').replace(/[\s()-]/g, '');
        if (!UK_MOBILE.test(phone)) {
          return error(400, 'ValidationError', 'phone_number Not a UK mobile number');
        }
        return reply(201, { ...common, content: { body: rendered, from_number: 'GOVUK' } });
      }
      if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(String(body.email_address ?? ''))) {
        return error(400, 'ValidationError', 'email_address Not a valid email address');
      }
      return reply(201, {
        ...common,
        content: {
          body: rendered,
          subject,
          from_email: 'rpm@notifications.service.gov.uk',
          one_click_unsubscribe_url: null,
        },
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    baseUrl,
    apiKey: `rpm_test-${serviceId}-${secret}`,
    serviceId,
    smsTemplateId,
    emailTemplateId,
    requests,
    failNext: (reply) => void failures.push(reply),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Verifies an HS256 bearer JWT signed with the API key's secret, as Notify does; returns its claims. */
function verifyToken(authorization: string | undefined, secret: string): NotifyRequest['claims'] {
  const token = /^Bearer (.+)$/.exec(authorization ?? '')?.[1];
  const [header, payload, signature] = token?.split('.') ?? [];
  if (!header || !payload || !signature) {
    return undefined;
  }
  const expected = createHmac('sha256', secret).update(`${header}.${payload}`).digest();
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return undefined;
  }
  const alg = (JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as { alg?: string }).alg;
  if (alg !== 'HS256') {
    return undefined;
  }
  return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as NotifyRequest['claims'];
}
