// The sign-in interaction of the SMART authorization flow: password, second factor, patient choice and consent.
import express, { type Request, type Response } from 'express';
import type Provider from 'oidc-provider';
import { errors as oidcErrors } from 'oidc-provider';
import { findAccountById, type Account } from '../../accounts/accountStore.ts';
import {
  confirmTotpEnrolment,
  mfaRequired,
  startTotpEnrolment,
  verifyLogin,
  verifyTotpCode,
} from '../../accounts/login.ts';
import type { Db } from '../../db/pool.ts';
import { sendPage } from '../pages/layout.ts';
import { finishConsent, resolveLaunchPatient, type ConsentDecision } from './consentStep.ts';
import { findLoginStep, forgetLoginStep, rememberLoginStep } from './loginProgress.ts';
import {
  consentPage,
  enrolPage,
  loginPage,
  mfaPage,
  patientPickerPage,
  problemPage,
  type UpstreamButton,
} from './pages.ts';
import { searchPatientsInReach, type SignedInUser } from './patientDirectory.ts';

/** A sign-in attempt, for the audit log. */
export interface LoginEvent {
  outcome: 'success' | 'failure';
  /** Why it failed, in words ('wrong password', 'locked', 'wrong security code', ...). */
  reason?: string;
  accountId?: string;
  fhirUser?: string;
  email?: string;
  clientId?: string;
  ip?: string;
  userAgent?: string;
}

export interface InteractionOptions {
  provider: Provider;
  pool: Db;
  fhirBaseUrl: string;
  /** Upstream identity providers offered on the sign-in page. */
  upstream: () => UpstreamButton[];
  /** Called for every password, second-factor and upstream sign-in attempt. */
  onLogin?: (event: LoginEvent) => void;
}

type Details = Awaited<ReturnType<Provider['interactionDetails']>>;

function text(value: unknown, max = 500): string {
  return typeof value === 'string' ? value.slice(0, max) : '';
}

function lockedMessage(until: Date): string {
  const time = until.toISOString().slice(11, 16);
  return `Too many attempts. For your security, sign-in is paused until ${time} UTC. Contact your administrator if you need access sooner.`;
}

export function createInteractionRouter(options: InteractionOptions): express.Router {
  const { provider, pool, fhirBaseUrl } = options;
  const router = express.Router();
  const form = express.urlencoded({ extended: false, limit: '20kb', parameterLimit: 20 });

  function audit(req: Request, details: Details | undefined, event: Omit<LoginEvent, 'ip' | 'userAgent' | 'clientId'>) {
    options.onLogin?.({
      ...event,
      clientId: details?.params.client_id as string | undefined,
      ip: req.ip,
      userAgent: text(req.headers['user-agent'], 300),
    });
  }

  async function clientName(details: Details): Promise<string> {
    const client = await provider.Client.find(details.params.client_id as string);
    return client?.clientName ?? (details.params.client_id as string);
  }

  /** Completes the login prompt: oidc-provider redirects the browser on to consent (or back to the app). */
  async function finishLogin(req: Request, res: Response, details: Details, account: Account, amr: string[]) {
    await forgetLoginStep(pool, details.uid);
    audit(req, details, {
      outcome: 'success',
      accountId: account.id,
      fhirUser: account.fhirUser,
      email: account.email,
    });
    await provider.interactionFinished(
      req,
      res,
      { login: { accountId: account.id, amr, remember: false } },
      { mergeWithLastSubmission: false }
    );
  }

  /** After the password: a second factor, or setting one up, or done. */
  async function afterPassword(req: Request, res: Response, details: Details, account: Account) {
    if (!mfaRequired(account)) {
      await finishLogin(req, res, details, account, ['pwd']);
      return;
    }
    await rememberLoginStep(pool, details.uid, account.id, account.totpEnabled ? 'mfa' : 'enrol');
    res.redirect(303, `/oauth2/interaction/${details.uid}`);
  }

  async function signedInUser(details: Details): Promise<{ user: SignedInUser; account: Account } | undefined> {
    const accountId = details.session?.accountId;
    const account = accountId ? await findAccountById(pool, accountId) : undefined;
    if (!account || account.disabled) {
      return undefined;
    }
    const user = {
      accountId: account.id,
      clientId: details.params.client_id as string,
      role: account.role,
      fhirUser: account.fhirUser,
    };
    return { user, account };
  }

  async function showConsent(req: Request, res: Response, details: Details, chosenPatient?: string) {
    const signedIn = await signedInUser(details);
    if (!signedIn) {
      sendPage(res, problemPage('Please sign in again', 'Your account could not be found or is disabled.'), 403);
      return;
    }
    const launch = await resolveLaunchPatient({ pool, fhirBaseUrl, details, user: signedIn.user, chosenPatient });
    if (launch.kind === 'refused') {
      sendPage(res, problemPage('This app cannot open', launch.message), 403);
      return;
    }
    if (launch.kind === 'choose') {
      const query = text(req.query.q, 100);
      const patients = await searchPatientsInReach(pool, fhirBaseUrl, signedIn.user, query);
      const error = chosenPatient ? 'That patient is not one you can open. Choose one from the list.' : undefined;
      sendPage(res, patientPickerPage({ uid: details.uid, query, patients, error }), error ? 400 : 200);
      return;
    }
    const client = await provider.Client.find(details.params.client_id as string);
    const decision: ConsentDecision = { details, user: signedIn.user, patient: launch.patient, launch: launch.context };
    if ((client as unknown as Record<string, unknown>)?.rpm_first_party === true) {
      await finishConsent(provider, pool, fhirBaseUrl, req, res, decision);
      return;
    }
    sendPage(
      res,
      consentPage({
        uid: details.uid,
        clientName: await clientName(details),
        scopes: decision.details.params.scope ? String(decision.details.params.scope).split(' ') : [],
        patientName: launch.patient?.name,
        patientId: chosenPatient,
      })
    );
  }

  /** Runs a step with the interaction's details; an unknown or expired interaction gets a page, not a 500. */
  function step(handler: (req: Request, res: Response, details: Details) => Promise<void>) {
    return async (req: Request, res: Response, next: express.NextFunction) => {
      let details: Details;
      try {
        details = await provider.interactionDetails(req, res);
        if (details.uid !== req.params.uid) {
          throw new oidcErrors.SessionNotFound('interaction mismatch');
        }
      } catch {
        sendPage(
          res,
          problemPage('Your sign-in has expired', 'This sign-in page is no longer valid, so nothing was changed.'),
          400
        );
        return;
      }
      try {
        await handler(req, res, details);
      } catch (err) {
        next(err);
      }
    };
  }

  router.get(
    '/:uid',
    step(async (req, res, details) => {
      if (details.prompt.name === 'login') {
        const progress = await findLoginStep(pool, details.uid);
        if (progress?.stage === 'mfa') {
          sendPage(res, mfaPage({ uid: details.uid }));
        } else if (progress?.stage === 'enrol') {
          const enrolment = await startTotpEnrolment(pool, progress.accountId);
          sendPage(res, enrolPage({ uid: details.uid, secret: enrolment.secret, qrSvg: enrolment.qrSvg }));
        } else {
          sendPage(
            res,
            loginPage({ uid: details.uid, clientName: await clientName(details), upstream: options.upstream() })
          );
        }
        return;
      }
      await showConsent(req, res, details);
    })
  );

  router.post(
    '/:uid/login',
    form,
    step(async (req, res, details) => {
      const email = text(req.body?.email, 320).trim();
      const password = text(req.body?.password, 1000);
      const result = await verifyLogin(pool, email, password);
      if (result.status === 'ok') {
        await afterPassword(req, res, details, result.account);
        return;
      }
      const reason = result.status === 'invalid' ? 'wrong email or password' : result.status;
      audit(req, details, { outcome: 'failure', reason, email });
      const error =
        result.status === 'locked'
          ? lockedMessage(result.until)
          : result.status === 'disabled'
            ? 'This account has been disabled. Contact your administrator.'
            : 'The email address or password is not right. Check them and try again.';
      const page = loginPage({
        uid: details.uid,
        clientName: await clientName(details),
        email,
        error,
        upstream: options.upstream(),
      });
      sendPage(res, page, result.status === 'locked' ? 429 : 401);
    })
  );

  router.post(
    '/:uid/mfa',
    form,
    step(async (req, res, details) => {
      const progress = await findLoginStep(pool, details.uid);
      const account = progress?.stage === 'mfa' ? await findAccountById(pool, progress.accountId) : undefined;
      if (!progress || !account) {
        res.redirect(303, `/oauth2/interaction/${details.uid}`);
        return;
      }
      if (account.lockedUntil && new Date(account.lockedUntil) > new Date()) {
        audit(req, details, { outcome: 'failure', reason: 'locked', accountId: account.id });
        sendPage(res, mfaPage({ uid: details.uid, error: lockedMessage(new Date(account.lockedUntil)) }), 429);
        return;
      }
      if (await verifyTotpCode(pool, account.id, text(req.body?.code, 20))) {
        await finishLogin(req, res, details, account, ['pwd', 'otp']);
        return;
      }
      audit(req, details, { outcome: 'failure', reason: 'wrong security code', accountId: account.id });
      sendPage(
        res,
        mfaPage({
          uid: details.uid,
          error: 'The security code is not right or has expired. Enter the code your app shows now.',
        }),
        401
      );
    })
  );

  router.post(
    '/:uid/enrol',
    form,
    step(async (req, res, details) => {
      const progress = await findLoginStep(pool, details.uid);
      const account = progress?.stage === 'enrol' ? await findAccountById(pool, progress.accountId) : undefined;
      if (!progress || !account) {
        res.redirect(303, `/oauth2/interaction/${details.uid}`);
        return;
      }
      if (await confirmTotpEnrolment(pool, account.id, text(req.body?.code, 20))) {
        await finishLogin(req, res, details, account, ['pwd', 'otp']);
        return;
      }
      audit(req, details, { outcome: 'failure', reason: 'wrong security code at set-up', accountId: account.id });
      const enrolment = await startTotpEnrolment(pool, account.id);
      sendPage(
        res,
        enrolPage({
          uid: details.uid,
          secret: enrolment.secret,
          qrSvg: enrolment.qrSvg,
          error: 'That code did not match. The key has changed: add it to your app again, then enter the new code.',
        }),
        401
      );
    })
  );

  router.post(
    '/:uid/patient',
    form,
    step(async (req, res, details) => {
      await showConsent(req, res, details, text(req.body?.patient, 64));
    })
  );

  router.post(
    '/:uid/consent',
    form,
    step(async (req, res, details) => {
      if (req.body?.decision !== 'allow') {
        await provider.interactionFinished(
          req,
          res,
          { error: 'access_denied', error_description: 'The user did not allow the app to connect' },
          { mergeWithLastSubmission: false }
        );
        return;
      }
      const signedIn = await signedInUser(details);
      if (!signedIn) {
        sendPage(res, problemPage('Please sign in again', 'Your account could not be found or is disabled.'), 403);
        return;
      }
      const chosen = text(req.body?.patient, 64) || undefined;
      const launch = await resolveLaunchPatient({
        pool,
        fhirBaseUrl,
        details,
        user: signedIn.user,
        chosenPatient: chosen,
      });
      if (launch.kind !== 'ready') {
        sendPage(
          res,
          problemPage('This app cannot open', launch.kind === 'refused' ? launch.message : 'Choose a patient first.'),
          400
        );
        return;
      }
      await finishConsent(provider, pool, fhirBaseUrl, req, res, {
        details,
        user: signedIn.user,
        patient: launch.patient,
        launch: launch.context,
      });
    })
  );

  router.get(
    '/:uid/abort',
    step(async (req, res) => {
      await provider.interactionFinished(
        req,
        res,
        { error: 'access_denied', error_description: 'The user cancelled the sign-in' },
        { mergeWithLastSubmission: false }
      );
    })
  );

  return router;
}
