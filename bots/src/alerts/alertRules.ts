// The alert rules: their codes (CodeSystem rpm-alert-rule), names and clinical sources, as named on every alert they raise.

export type AlertRuleCode =
  | 'news2'
  | 'vital-sign-threshold'
  | 'combined-spo2-respiratory-rate'
  | 'weight-gain'
  | 'missed-reading'
  | 'symptom-check-in-red-flag'
  | 'device-silent'
  | 'device-firmware-outdated';

export interface AlertRule {
  code: AlertRuleCode;
  /** As in fhir/valueSets/rpm-alert-rule.json. */
  display: string;
  /** The clinical source, cited on the alert (extension rpm-alert-clinical-source). */
  clinicalSource: string;
  /** Web address of the source (DetectedIssue.reference). */
  sourceUrl?: string;
}

export const ALERT_RULES: Readonly<Record<AlertRuleCode, AlertRule>> = {
  news2: {
    code: 'news2',
    display: 'NEWS2 response band',
    clinicalSource:
      'Royal College of Physicians. National Early Warning Score (NEWS) 2: Standardising the assessment of ' +
      'acute-illness severity in the NHS. London: RCP, 2017. Charts 1, 3 and 4.',
    sourceUrl: 'https://www.rcp.ac.uk/improving-care/resources/national-early-warning-score-news-2/',
  },
  'vital-sign-threshold': {
    code: 'vital-sign-threshold',
    display: 'Vital sign outside its amber or red limits',
    clinicalSource:
      "The programme's thresholds (PlanDefinition goals, each citing its source: RCP NEWS2 2017 chart 1 bands, NHS " +
      'England pulse oximetry guidance for COVID-19, NICE NG136) or a clinician-set patient-specific limit (Goal).',
  },
  'combined-spo2-respiratory-rate': {
    code: 'combined-spo2-respiratory-rate',
    display: 'SpO2 and respiratory rate both abnormal within 1 hour',
    clinicalSource:
      'Local escalation rule, after the NEWS2 principle that several abnormal parameters signal more risk than ' +
      'one (RCP, 2017); needs sign-off by the service’s clinical governance.',
  },
  'weight-gain': {
    code: 'weight-gain',
    display: 'Weight gain of more than 2 kg in 3 days',
    clinicalSource:
      'ESC Guidelines for the diagnosis and treatment of acute and chronic heart failure (Ponikowski et al., Eur ' +
      'Heart J 2016;37:2129–2200), table 17.2, patient self-care: a sudden unexpected weight gain of more than 2 kg ' +
      'in 3 days.',
    sourceUrl: 'https://doi.org/10.1093/eurheartj/ehw128',
  },
  'missed-reading': {
    code: 'missed-reading',
    display: 'Scheduled reading not received',
    clinicalSource: "The patient's monitoring CarePlan schedule (activity.detail.scheduledTiming) and grace period.",
  },
  'symptom-check-in-red-flag': {
    code: 'symptom-check-in-red-flag',
    display: 'Red-flag symptom in a check-in',
    clinicalSource:
      'NICE guideline NG106, Chronic heart failure in adults: diagnosis and management (2018): safety-netting ' +
      'advice on symptoms of worsening heart failure (breathless at rest; fainting). Local rule; needs sign-off by ' +
      'the service’s clinical governance.',
    sourceUrl: 'https://www.nice.org.uk/guidance/ng106',
  },
  'device-silent': {
    code: 'device-silent',
    display: 'Assigned device silent',
    clinicalSource:
      'Operational rule, not a clinical one: a device assigned to a patient has sent no reading for longer than the ' +
      "programme's limit (PlanDefinition extension rpm-device-silence-limit; default 48 hours).",
  },
  'device-firmware-outdated': {
    code: 'device-firmware-outdated',
    display: "Device firmware older than the programme's minimum",
    clinicalSource:
      "Operational rule: the programme's minimum firmware for the device's model (PlanDefinition extension " +
      'rpm-device-minimum-firmware), compared by semantic version.',
  },
};
