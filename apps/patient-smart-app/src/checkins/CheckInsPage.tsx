// Check-ins: the questionnaires the care plan asks for, answered one question at a time on one page and sent.
import { Button, Card, Loader, Radio, Stack, Text, Textarea, TextInput, Title } from '@mantine/core';
import type { QuestionnaireItem, Questionnaire, QuestionnaireResponse } from '@medplum/fhirtypes';
import { useMedplum } from '@medplum/react';
import { useEffect, useState, type FormEvent } from 'react';
import { Notice } from '../ui/Notice.tsx';
import { usePatientContext } from '../smart/usePatientContext.tsx';
import { formatDateTime } from '../../../shared/ui/formatTime.ts';
import { plainError } from '../ui/plainError.ts';
import { useDraft } from '../ui/useDraft.ts';
import {
  askedItems,
  assignedQuestionnaires,
  buildCheckInResponse,
  checkAnswers,
  choicesOf,
  type CheckInAnswers,
  type CheckInProblems,
} from './checkInForm.ts';

/** Each answer's label fills the row and is at least 48 px high: the whole row is the touch target. */
const RADIO_STYLES = {
  body: { alignItems: 'center' },
  labelWrapper: { flex: 1 },
  label: { minHeight: 48, display: 'flex', alignItems: 'center', cursor: 'pointer' },
} as const;

interface CheckIn {
  questionnaire: Questionnaire;
  /** When the patient last sent this check-in. */
  lastAuthored?: string;
}

function Question(props: {
  item: QuestionnaireItem;
  value: string;
  problem?: string;
  onChange: (value: string) => void;
}) {
  const { item, value, problem, onChange } = props;
  const id = `question-${item.linkId}`;
  const label = `${item.text ?? item.linkId}${item.required ? '' : ' (you can leave this empty)'}`;
  if (item.type === 'choice' || item.type === 'boolean') {
    const options =
      item.type === 'boolean'
        ? [
            { value: 'yes', label: 'Yes' },
            { value: 'no', label: 'No' },
          ]
        : choicesOf(item).map((choice, index) => ({ value: String(index), label: choice.label }));
    return (
      <Radio.Group id={id} label={label} value={value} onChange={onChange} error={problem} size="lg">
        <Stack gap="sm" mt="xs">
          {options.map((option) => (
            <Radio key={option.value} value={option.value} label={option.label} size="lg" styles={RADIO_STYLES} />
          ))}
        </Stack>
      </Radio.Group>
    );
  }
  if (item.type === 'integer') {
    return (
      <TextInput
        id={id}
        label={label}
        inputMode="numeric"
        autoComplete="off"
        value={value}
        error={problem}
        onChange={(event) => onChange(event.currentTarget.value)}
      />
    );
  }
  return (
    <Textarea
      id={id}
      label={label}
      size="lg"
      autosize
      minRows={2}
      value={value}
      error={problem}
      onChange={(event) => onChange(event.currentTarget.value)}
    />
  );
}

function CheckInForm(props: { checkIn: CheckIn; onSent: (response: QuestionnaireResponse) => void }) {
  const { questionnaire } = props.checkIn;
  const medplum = useMedplum();
  const { patientReference } = usePatientContext();
  const [draft, setDraft] = useDraft(`check-in:${questionnaire.url}`);
  const answers: CheckInAnswers = draft ? (JSON.parse(draft) as CheckInAnswers) : {};
  const [problems, setProblems] = useState<CheckInProblems>({});
  const [failure, setFailure] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    setFailure(undefined);
    const found = checkAnswers(questionnaire, answers);
    setProblems(found);
    const first = askedItems(questionnaire).find((item) => found[item.linkId]);
    if (first) {
      const field = document.getElementById(`question-${first.linkId}`);
      (field?.querySelector('input') ?? field)?.focus();
      return;
    }
    setBusy(true);
    try {
      const response = await medplum.createResource(
        buildCheckInResponse({ questionnaire, answers, patientReference, authored: new Date() })
      );
      setDraft('');
      props.onSent(response);
    } catch (err) {
      // The answers stay on the screen (and in the draft) so the patient can send them again.
      setFailure(plainError(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form onSubmit={(event) => void submit(event)} noValidate aria-label={questionnaire.title ?? 'Check-in'}>
      <Stack gap="lg">
        {askedItems(questionnaire).map((item) => (
          <Question
            key={item.linkId}
            item={item}
            value={answers[item.linkId] ?? ''}
            problem={problems[item.linkId]}
            onChange={(value) => setDraft(JSON.stringify({ ...answers, [item.linkId]: value }))}
          />
        ))}
        {failure ? (
          <Notice kind="problem" title="Your answers were not sent" role="alert">
            <Text>{failure} Your answers are still here.</Text>
          </Notice>
        ) : null}
        <Button type="submit" loading={busy} fullWidth>
          Send my answers
        </Button>
      </Stack>
    </form>
  );
}

async function loadCheckIns(medplum: ReturnType<typeof useMedplum>, patientReference: string): Promise<CheckIn[]> {
  const carePlans = await medplum.searchResources('CarePlan', { subject: patientReference, status: 'active' });
  const urls = assignedQuestionnaires(carePlans);
  const found = await Promise.all(
    urls.map(async (url): Promise<CheckIn | undefined> => {
      const [questionnaire] = await medplum.searchResources('Questionnaire', { url, _count: '1' });
      if (!questionnaire) {
        return undefined;
      }
      const [last] = await medplum.searchResources('QuestionnaireResponse', {
        subject: patientReference,
        questionnaire: url,
        _sort: '-authored',
        _count: '1',
      });
      return { questionnaire, lastAuthored: last?.authored };
    })
  );
  return found.filter((checkIn): checkIn is CheckIn => !!checkIn);
}

export default function CheckInsPage() {
  const medplum = useMedplum();
  const { patientReference } = usePatientContext();
  const [checkIns, setCheckIns] = useState<CheckIn[] | undefined>();
  const [loadError, setLoadError] = useState<string | undefined>();
  const [open, setOpen] = useState<string | undefined>();
  const [sent, setSent] = useState<string | undefined>();

  useEffect(() => {
    loadCheckIns(medplum, patientReference).then(setCheckIns, (err: unknown) => setLoadError(plainError(err)));
  }, [medplum, patientReference]);

  const current = checkIns?.find((c) => c.questionnaire.url === open);
  return (
    <Stack gap="md">
      <Title order={1}>Check-in</Title>
      <Text>
        Tell your care team how you feel. If you feel very unwell, or find it very hard to breathe, call 999 now. Do not
        wait for a reply.
      </Text>
      {sent ? (
        <Notice kind="success" title="Thank you" role="status">
          <Text>Your answers have been sent to your care team. They will contact you if they need to.</Text>
        </Notice>
      ) : null}
      {loadError ? (
        <Notice kind="problem" title="We could not load your check-ins" role="alert">
          <Text>{loadError}</Text>
        </Notice>
      ) : null}
      {!checkIns && !loadError ? <Loader role="status" aria-label="Loading your check-ins" /> : null}
      {checkIns && checkIns.length === 0 ? <Text>You have no check-ins to do.</Text> : null}
      {current ? (
        <Card withBorder padding="md">
          <Title order={2} size="h3" mb="md">
            {current.questionnaire.title ?? 'Check-in'}
          </Title>
          <CheckInForm
            checkIn={current}
            onSent={(response) => {
              setSent(response.id);
              setOpen(undefined);
              setCheckIns((list) => list?.map((c) => (c === current ? { ...c, lastAuthored: response.authored } : c)));
            }}
          />
          <Button variant="outline" mt="md" fullWidth onClick={() => setOpen(undefined)}>
            Not now
          </Button>
        </Card>
      ) : (
        <Stack component="ul" gap="md" style={{ listStyle: 'none', padding: 0, margin: 0 }}>
          {checkIns?.map((checkIn) => (
            <Card key={checkIn.questionnaire.url} withBorder component="li" padding="md">
              <Title order={2} size="h4">
                {checkIn.questionnaire.title ?? 'Check-in'}
              </Title>
              <Text size="sm">
                {checkIn.lastAuthored
                  ? `Last sent ${formatDateTime(checkIn.lastAuthored)}`
                  : 'You have not done this one yet'}
              </Text>
              <Button
                mt="sm"
                fullWidth
                onClick={() => {
                  setSent(undefined);
                  setOpen(checkIn.questionnaire.url);
                }}
              >
                Start check-in
              </Button>
            </Card>
          ))}
        </Stack>
      )}
    </Stack>
  );
}
