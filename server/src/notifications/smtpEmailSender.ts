// Sends notification emails through an SMTP server (nodemailer) and classifies SMTP failures as temporary or permanent.
import nodemailer from 'nodemailer';
import { DeliveryError } from './deliveryError.ts';
import type { NotificationSender, OutgoingNotification, SentNotification } from './notificationSender.ts';

/** Identifier system of the Message-ID of an email we sent. */
export const SMTP_MESSAGE_ID_SYSTEM = 'http://rpm-platform.org/fhir/identifier/smtp-message-id';

/** SMTP commands whose 5xx reply rejects this message or recipient for good (RFC 5321 permanent negative reply). */
const MESSAGE_COMMANDS = new Set(['MAIL FROM', 'RCPT TO', 'DATA']);

export interface SmtpEmailSenderOptions {
  /** smtp://user:pass@host:587 or smtps://host:465 (nodemailer's connection URL, query options allowed). */
  smtpUrl: string;
  from: string;
  timeoutMs: number;
}

export function smtpEmailSender(options: SmtpEmailSenderOptions): NotificationSender {
  const transport = nodemailer.createTransport(withTimeouts(options.smtpUrl, options.timeoutMs));
  return {
    async send(message: OutgoingNotification): Promise<SentNotification> {
      try {
        const info = await transport.sendMail({
          from: options.from,
          to: message.to,
          subject: message.subject,
          text: message.text,
          headers: { 'X-RPM-Notification': message.reference },
        });
        return { system: SMTP_MESSAGE_ID_SYSTEM, messageId: info.messageId };
      } catch (error) {
        throw smtpDeliveryError(error);
      }
    },
    async close(): Promise<void> {
      transport.close();
    },
  };
}

/** Adds nodemailer's connection, greeting and socket timeouts to the URL unless it sets them itself. */
function withTimeouts(smtpUrl: string, timeoutMs: number): string {
  const url = new URL(smtpUrl);
  for (const option of ['connectionTimeout', 'greetingTimeout', 'socketTimeout']) {
    if (!url.searchParams.has(option)) {
      url.searchParams.set(option, String(timeoutMs));
    }
  }
  return url.toString();
}

interface SmtpError {
  message?: string;
  code?: string;
  responseCode?: number;
  command?: string;
  response?: string;
}

/** 5xx replies to the message's own commands and invalid addresses are permanent; the rest (4xx, network) retry. */
export function smtpDeliveryError(error: unknown): DeliveryError {
  const e = (error ?? {}) as SmtpError;
  const code = e.responseCode;
  const permanent =
    (code !== undefined && code >= 500 && code < 600 && MESSAGE_COMMANDS.has(e.command ?? '')) ||
    (e.code === 'EENVELOPE' && code === undefined);
  const detail = e.response ?? e.message ?? String(error);
  const where = e.command && e.command !== 'API' ? ` (${e.command})` : '';
  return new DeliveryError(`SMTP: ${detail}${where}`, permanent, { cause: error });
}
