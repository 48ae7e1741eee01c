// The project's own bots (bots/src/bots): bundled with esbuild at start-up, deployed as Bot resources with their triggers.
import crypto from 'node:crypto';
import path from 'node:path';
import { build } from 'esbuild';
import type { Bot, Subscription } from '@medplum/fhirtypes';
import { NEWS2_INPUT_CODES } from '../../../bots/src/bots/news2.bot.ts';
import { LOINC, LOINC_CODES } from '../../../bots/src/fhir/codes.ts';
import { ALERT_BOT_BATCH_SIZE, REPO_ROOT } from '../config.ts';
import type { PostgresRepository } from '../fhir/repository/postgresRepository.ts';
import { BOT_EXTENSIONS, botBatchSize, botScopes } from './botExtensions.ts';
import { storeBotCode } from './botCode.ts';

export interface BuiltInBot {
  id: string;
  name: string;
  description: string;
  /** File under bots/src/bots. */
  entry: string;
  scopes: string;
  /** Observation criteria of the Subscription that triggers it (create and update). */
  criteria?: string;
  cronString?: string;
  /** Triggering versions per run (the bot takes a collection Bundle of them); absent: one per run. */
  batchSize?: number;
}

/** Every vital sign a rule reads: the NEWS2 inputs and body weight (never the NEWS2 score the bot itself writes). */
const READING_CODES = `${NEWS2_INPUT_CODES},${LOINC}|${LOINC_CODES.bodyWeight}`;

export const BUILT_IN_BOTS: readonly BuiltInBot[] = [
  {
    id: 'rpm-observation-alerts',
    name: 'Observation alerts',
    description:
      'Vital-sign thresholds (amber/red and the combined SpO2 + respiratory rate rule), NEWS2 and weight trend',
    entry: 'observationAlerts.bot.ts',
    scopes:
      'system/Observation.crs system/CarePlan.rs system/PlanDefinition.rs system/Goal.rs system/DetectedIssue.crus',
    criteria: `Observation?code=${READING_CODES}`,
    batchSize: ALERT_BOT_BATCH_SIZE,
  },
  {
    id: 'rpm-missed-readings',
    name: 'Missed readings',
    description: 'Alerts when a scheduled reading is overdue (monitoring CarePlan activities)',
    entry: 'missedReadings.bot.ts',
    scopes: 'system/CarePlan.rs system/Observation.rs system/DetectedIssue.crus',
    cronString: '*/15 * * * *',
  },
  {
    id: 'rpm-symptom-check-in',
    name: 'Symptom check-in alerts',
    description: 'Alerts (amber) when a heart-failure symptom check-in marks a red-flag symptom (NICE NG106)',
    entry: 'symptomCheckIn.bot.ts',
    scopes: 'system/QuestionnaireResponse.rs system/DetectedIssue.crus',
    criteria: 'QuestionnaireResponse?status=completed,amended',
  },
  {
    id: 'rpm-device-flags',
    name: 'Device flags',
    description: "Alerts on assigned devices that have gone silent or run firmware below the programme's minimum",
    entry: 'deviceFlags.bot.ts',
    scopes:
      'system/Device.rs system/Observation.rs system/CarePlan.rs system/PlanDefinition.rs system/DetectedIssue.crus',
    cronString: '0 * * * *',
  },
];

const bundles = new Map<string, Promise<string>>();

/** One ES module with everything the bot imports (including @medplum/core), built once per process. */
export function bundleBot(entry: string): Promise<string> {
  let bundle = bundles.get(entry);
  if (!bundle) {
    bundle = build({
      entryPoints: [path.join(REPO_ROOT, 'bots', 'src', 'bots', entry)],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node22',
      write: false,
      minify: true,
      keepNames: true,
      legalComments: 'none',
      logLevel: 'silent',
    }).then((result) => result.outputFiles[0].text);
    bundles.set(entry, bundle);
  }
  return bundle;
}

function sha256(text: string): string {
  return crypto.createHash('sha256').update(text).digest('base64');
}

/**
 * Creates or updates each built-in Bot (code, scopes, schedule) and the Subscription that triggers it. Leaves both
 * untouched when nothing changed, so restarts and several instances starting together write nothing.
 */
export async function deployBuiltInBots(repo: PostgresRepository): Promise<void> {
  for (const definition of BUILT_IN_BOTS) {
    const code = await bundleBot(definition.entry);
    const bot = (await repo.readReference<Bot>({ reference: `Bot/${definition.id}` }).catch(() => undefined)) as
      Bot | undefined;
    const wanted: Bot = {
      ...bot,
      resourceType: 'Bot',
      id: definition.id,
      name: definition.name,
      description: definition.description,
      extension: [
        { url: BOT_EXTENSIONS.scopes, valueString: definition.scopes },
        ...(definition.batchSize ? [{ url: BOT_EXTENSIONS.batchSize, valueInteger: definition.batchSize }] : []),
      ],
      ...(definition.cronString ? { cronString: definition.cronString } : {}),
    };
    const codeChanged = bot?.executableCode?.hash !== sha256(code);
    if (
      !bot ||
      codeChanged ||
      botScopes(bot) !== definition.scopes ||
      bot.cronString !== definition.cronString ||
      botBatchSize(bot) !== (definition.batchSize ?? 1)
    ) {
      await repo.updateResource(codeChanged ? await storeBotCode(repo, wanted, code) : wanted);
    }
    if (definition.criteria) {
      const subscription: Subscription = {
        resourceType: 'Subscription',
        id: definition.id,
        status: 'active',
        reason: `Runs the ${definition.name} bot on every new or changed reading`,
        criteria: definition.criteria,
        channel: { type: 'rest-hook', endpoint: `Bot/${definition.id}` },
      };
      const existing = await repo
        .readReference<Subscription>({ reference: `Subscription/${definition.id}` })
        .catch(() => undefined);
      if (
        !existing ||
        existing.criteria !== subscription.criteria ||
        existing.status !== 'active' ||
        existing.channel.endpoint !== subscription.channel.endpoint
      ) {
        await repo.updateResource({ ...existing, ...subscription });
      }
    }
  }
}
