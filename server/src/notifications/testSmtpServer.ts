// Test support: a real SMTP server (smtp-server) on loopback that keeps what it receives and can refuse recipients.
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface ReceivedEmail {
  /** Envelope sender and recipients. */
  from: string;
  to: string[];
  headers: Record<string, string>;
  subject: string;
  /** The text body, transfer encoding undone. */
  text: string;
}

export interface TestSmtpServer {
  /** smtp://user:pass@127.0.0.1:<port> */
  url: string;
  received: ReceivedEmail[];
  /** Refuse RCPT TO for this address with this SMTP reply code (e.g. 451 temporary, 550 permanent); null to stop. */
  refuse(address: string, responseCode: number | null): void;
  /** Runs before the server accepts each message (e.g. to change something while a send is in flight). */
  beforeAccept?: (email: ReceivedEmail) => Promise<void>;
  close(): Promise<void>;
}

export const SMTP_USER = 'rpm-mailer';
export const SMTP_PASSWORD = 'test secret/with:specials';

export async function startTestSmtpServer(): Promise<TestSmtpServer> {
  const received: ReceivedEmail[] = [];
  const refusals = new Map<string, number>();
  const server = new SMTPServer({
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username === SMTP_USER && auth.password === SMTP_PASSWORD) {
        callback(null, { user: auth.username });
      } else {
        callback(Object.assign(new Error('Authentication failed'), { responseCode: 535 }));
      }
    },
    onRcptTo(address, _session, callback) {
      const code = refusals.get(address.address.toLowerCase());
      if (code) {
        callback(Object.assign(new Error(`Mailbox ${address.address} refused (test)`), { responseCode: code }));
      } else {
        callback();
      }
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const email: ReceivedEmail = {
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          ...parseMessage(Buffer.concat(chunks).toString('utf8')),
        };
        (test.beforeAccept?.(email) ?? Promise.resolve()).then(
          () => {
            received.push(email);
            callback();
          },
          (error: Error) => callback(error)
        );
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.server.address() as AddressInfo;
  const test: TestSmtpServer = {
    url: `smtp://${SMTP_USER}:${encodeURIComponent(SMTP_PASSWORD)}@127.0.0.1:${port}`,
    received,
    refuse(address, responseCode) {
      if (responseCode === null) {
        refusals.delete(address.toLowerCase());
      } else {
        refusals.set(address.toLowerCase(), responseCode);
      }
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  return test;
}

/** Splits a single-part text message into its (unfolded, lower-case named) headers and its decoded body. */
function parseMessage(raw: string): { headers: Record<string, string>; subject: string; text: string } {
  const split = raw.indexOf('\r\n\r\n');
  const head = raw.slice(0, split).replace(/\r\n[ \t]+/g, ' ');
  const body = raw.slice(split + 4);
  const headers: Record<string, string> = {};
  for (const line of head.split('\r\n')) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const encoding = (headers['content-transfer-encoding'] ?? '7bit').toLowerCase();
  let text = body.replace(/\r\n$/, '');
  if (encoding === 'quoted-printable') {
    text = Buffer.from(
      text
        .replace(/=\r\n/g, '')
        .replace(/=([0-9A-F]{2})/gi, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16))),
      'latin1'
    ).toString('utf8');
  } else if (encoding === 'base64') {
    text = Buffer.from(text, 'base64').toString('utf8');
  }
  return { headers, subject: headers.subject ?? '', text: text.replace(/\r\n/g, '\n') };
}
