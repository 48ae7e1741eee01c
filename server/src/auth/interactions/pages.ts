// The sign-in pages of the authorization flow: password, second factor, MFA set-up, patient choice and consent.
import { escapeHtml as e, renderPage } from '../pages/layout.ts';
import { describeScope } from './scopeDescriptions.ts';

export interface UpstreamButton {
  id: string;
  label: string;
}

/** The form's action for a step of this interaction. */
function action(uid: string, step: string): string {
  return `/oauth2/interaction/${encodeURIComponent(uid)}/${step}`;
}

function fieldError(id: string, message: string | undefined): string {
  return message
    ? `<p class="error" id="${id}-error"><span class="visually-hidden">Error: </span>${e(message)}</p>`
    : '';
}

export function loginPage(options: {
  uid: string;
  clientName: string;
  email?: string;
  error?: string;
  upstream: UpstreamButton[];
}): string {
  const { uid, clientName, email, error, upstream } = options;
  const invalid = error ? ' aria-invalid="true" aria-describedby="password-error"' : '';
  const others = upstream
    .map(
      (p) =>
        `<li><a class="button secondary" href="${e(action(uid, `upstream/${encodeURIComponent(p.id)}`))}">Sign in with ${e(p.label)}</a></li>`
    )
    .join('');
  return renderPage({
    title: 'Sign in',
    errors: error ? [{ text: error, field: 'password' }] : [],
    body: `<p>to continue to <strong>${e(clientName)}</strong></p>
<form method="post" action="${e(action(uid, 'login'))}" novalidate>
<label for="email">Email address</label>
<input id="email" name="email" type="email" autocomplete="username" spellcheck="false" required value="${e(email)}"${error ? ' aria-invalid="true"' : ''}>
<label for="password">Password</label>
${fieldError('password', error)}
<input id="password" name="password" type="password" autocomplete="current-password" required${invalid}>
<button type="submit">Sign in</button>
</form>
${others ? `<h2>Other ways to sign in</h2><ul class="choices">${others}</ul>` : ''}
<p><a href="${e(action(uid, 'abort'))}">Cancel and go back to the app</a></p>`,
  });
}

export function mfaPage(options: { uid: string; error?: string }): string {
  const { uid, error } = options;
  return renderPage({
    title: 'Enter your security code',
    errors: error ? [{ text: error, field: 'code' }] : [],
    body: `<form method="post" action="${e(action(uid, 'mfa'))}" novalidate>
<label for="code">Security code</label>
<span class="hint" id="code-hint">The 6-digit code from your authenticator app</span>
${fieldError('code', error)}
<input id="code" name="code" type="text" inputmode="numeric" pattern="[0-9]*" maxlength="6" autocomplete="one-time-code" required aria-describedby="code-hint${error ? ' code-error' : ''}"${error ? ' aria-invalid="true"' : ''}>
<button type="submit">Continue</button>
</form>
<p><a href="${e(action(uid, 'abort'))}">Cancel and go back to the app</a></p>`,
  });
}

export function enrolPage(options: { uid: string; secret: string; qrSvg: string; error?: string }): string {
  const { uid, secret, qrSvg, error } = options;
  return renderPage({
    title: 'Set up your security code',
    errors: error ? [{ text: error, field: 'code' }] : [],
    body: `<p>Your account needs a second step at sign-in. Use an authenticator app on your phone (for example
Microsoft Authenticator or Google Authenticator).</p>
<ol>
<li>In the app, add an account and scan this QR code.
<div class="qr" role="img" aria-label="QR code for your authenticator app">${qrSvg}</div></li>
<li>If you cannot scan it, type this key instead: <code id="totp-secret">${e(secret)}</code></li>
<li id="code-hint">Enter the 6-digit code the app shows.</li>
</ol>
<form method="post" action="${e(action(uid, 'enrol'))}" novalidate>
<label for="code">Security code</label>
${fieldError('code', error)}
<input id="code" name="code" type="text" inputmode="numeric" pattern="[0-9]*" maxlength="6" autocomplete="one-time-code" required aria-describedby="code-hint${error ? ' code-error' : ''}"${error ? ' aria-invalid="true"' : ''}>
<button type="submit">Turn on and continue</button>
</form>`,
  });
}

export interface PatientChoice {
  id: string;
  name: string;
  detail: string;
}

export function patientPickerPage(options: {
  uid: string;
  query: string;
  patients: PatientChoice[];
  error?: string;
}): string {
  const { uid, query, patients, error } = options;
  const list =
    patients.length > 0
      ? `<form method="post" action="${e(action(uid, 'patient'))}"><ul class="choices">${patients
          .map(
            (p) =>
              `<li><button type="submit" name="patient" value="${e(p.id)}" class="secondary">${e(p.name)}<span class="hint">${e(p.detail)}</span></button></li>`
          )
          .join('')}</ul></form>`
      : `<p>No patients found${query ? ` for “${e(query)}”` : ''}.</p>`;
  return renderPage({
    title: 'Choose a patient',
    errors: error ? [error] : [],
    body: `<form method="get" action="/oauth2/interaction/${encodeURIComponent(uid)}" role="search">
<label for="q">Search your patients</label>
<span class="hint" id="q-hint">Name or NHS number</span>
<input id="q" name="q" type="search" value="${e(query)}" aria-describedby="q-hint">
<button type="submit" class="secondary">Search</button>
</form>
<h2>Patients</h2>
${list}`,
  });
}

export function consentPage(options: {
  uid: string;
  clientName: string;
  scopes: string[];
  patientName?: string;
  patientId?: string;
}): string {
  const { uid, clientName, scopes, patientName, patientId } = options;
  const items = scopes.map((s) => `<li>${e(describeScope(s))} <span class="hint">(${e(s)})</span></li>`).join('');
  return renderPage({
    title: `Allow ${clientName} to connect?`,
    body: `${patientName ? `<p>Patient: <strong>${e(patientName)}</strong></p>` : ''}
<p><strong>${e(clientName)}</strong> is asking to:</p>
<ul class="scopes">${items}</ul>
<form method="post" action="${e(action(uid, 'consent'))}">
${patientId ? `<input type="hidden" name="patient" value="${e(patientId)}">` : ''}
<button type="submit" name="decision" value="allow">Allow</button>
<button type="submit" name="decision" value="deny" class="secondary">Do not allow</button>
</form>`,
  });
}

export function problemPage(title: string, message: string): string {
  return renderPage({ title, body: `<p>${e(message)}</p><p>Go back to the app you came from and try again.</p>` });
}
