// Enrol a patient: NHS number (Modulus 11), demographics, contact, programme, care team and reading schedule.
import {
  Alert,
  Anchor,
  Button,
  Checkbox,
  Group,
  Loader,
  Paper,
  Radio,
  Select,
  SimpleGrid,
  Stack,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import type { Bundle, PlanDefinition } from '@medplum/fhirtypes';
import { useMedplum } from '@medplum/react';
import { useEffect, useMemo, useRef, useState, type FormEvent } from 'react';
import { Link, useNavigate } from 'react-router';
import { NHS_NUMBER_SYSTEM } from '../fhir/codes.ts';
import { useLaunchContext } from '../smart/useLaunchContext.tsx';
import { plainError } from '../ui/plainError.ts';
import { useDraft } from '../ui/useDraft.ts';
import { enrolledPatientId, enrolmentBundle, type Sex } from './enrolmentBundle.ts';
import { findByNhsNumber, loadEnrolmentOptions, type EnrolmentOptions } from './enrolmentOptions.ts';
import { formatNhsNumber, nhsNumberDigits, nhsNumberProblem } from './nhsNumber.ts';
import { defaultSchedule, parseTimes } from './schedule.ts';

type Field = 'nhsNumber' | 'given' | 'family' | 'birthDate' | 'gender' | 'email' | 'programme' | 'organization';

const FIELD_IDS: Readonly<Record<Field, string>> = {
  nhsNumber: 'enrol-nhs-number',
  given: 'enrol-given',
  family: 'enrol-family',
  birthDate: 'enrol-birth-date',
  gender: 'enrol-gender-female',
  email: 'enrol-email',
  programme: 'enrol-programme',
  organization: 'enrol-organization',
};

const SEXES: { value: Sex; label: string }[] = [
  { value: 'female', label: 'Female' },
  { value: 'male', label: 'Male' },
  { value: 'other', label: 'Other' },
  { value: 'unknown', label: 'Not known' },
];

/** "key:value" drafts of every text field, so a session that ends (sign in again) keeps what was typed. */
function useEnrolmentDrafts() {
  const [key, setKey] = useDraft('enrol:key');
  useEffect(() => {
    if (!key) {
      setKey(crypto.randomUUID());
    }
  }, [key, setKey]);
  return {
    key,
    nhsNumber: useDraft('enrol:nhs'),
    given: useDraft('enrol:given'),
    family: useDraft('enrol:family'),
    birthDate: useDraft('enrol:birthDate'),
    gender: useDraft('enrol:gender'),
    phone: useDraft('enrol:phone'),
    email: useDraft('enrol:email'),
    programme: useDraft('enrol:programme'),
    organization: useDraft('enrol:organization'),
    colleagues: useDraft('enrol:colleagues'),
    times: useDraft('enrol:times'),
    clear: () => {
      for (const k of Object.keys(sessionStorage)) {
        if (k.startsWith('rpm-clinician-draft:enrol:')) {
          sessionStorage.removeItem(k);
        }
      }
    },
  };
}

function problemsOf(values: Record<Field, string>, today: string): Partial<Record<Field, string>> {
  const problems: Partial<Record<Field, string>> = {};
  const nhs = nhsNumberProblem(values.nhsNumber);
  if (nhs) {
    problems.nhsNumber = nhs;
  }
  if (!values.given.trim()) {
    problems.given = 'Enter the patient’s first name.';
  }
  if (!values.family.trim()) {
    problems.family = 'Enter the patient’s last name.';
  }
  if (!/^\d{4}-\d{2}-\d{2}$/.test(values.birthDate)) {
    problems.birthDate = 'Enter the date of birth (day, month and year).';
  } else if (values.birthDate > today) {
    problems.birthDate = 'The date of birth cannot be in the future.';
  }
  if (!values.gender) {
    problems.gender = 'Choose the patient’s sex.';
  }
  if (values.email.trim() && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(values.email.trim())) {
    problems.email = 'Enter an email address like name@example.org, or leave it empty.';
  }
  if (!values.programme) {
    problems.programme = 'Choose a monitoring programme.';
  }
  if (!values.organization) {
    problems.organization = 'Choose the organization that will look after the patient.';
  }
  return problems;
}

export default function EnrolmentPage() {
  const medplum = useMedplum();
  const navigate = useNavigate();
  const { fhirUser } = useLaunchContext();
  const drafts = useEnrolmentDrafts();
  const [options, setOptions] = useState<EnrolmentOptions>();
  const [loadError, setLoadError] = useState<string>();
  const [problems, setProblems] = useState<Partial<Record<Field, string>>>({});
  const [timeProblems, setTimeProblems] = useState<Record<number, string>>({});
  const [submitError, setSubmitError] = useState<string>();
  const [existing, setExisting] = useState<{ id: string; name: string }>();
  const [saving, setSaving] = useState(false);
  const summary = useRef<HTMLDivElement>(null);

  const [nhsNumber, setNhsNumber] = drafts.nhsNumber;
  const [given, setGiven] = drafts.given;
  const [family, setFamily] = drafts.family;
  const [birthDate, setBirthDate] = drafts.birthDate;
  const [gender, setGender] = drafts.gender;
  const [phone, setPhone] = drafts.phone;
  const [email, setEmail] = drafts.email;
  const [programmeUrl, setProgrammeUrl] = drafts.programme;
  const [organization, setOrganization] = drafts.organization;
  const [colleaguesText, setColleaguesText] = drafts.colleagues;
  const [timesText, setTimesText] = drafts.times;
  const colleagues = useMemo(() => colleaguesText.split('\n').filter(Boolean), [colleaguesText]);

  useEffect(() => {
    if (!fhirUser?.startsWith('Practitioner/')) {
      setLoadError('Only a clinician signed in as a Practitioner can enrol patients.');
      return;
    }
    loadEnrolmentOptions(medplum, fhirUser).then(setOptions, (err: unknown) => setLoadError(plainError(err)));
  }, [medplum, fhirUser]);

  // One organization: chosen for the clinician.
  useEffect(() => {
    if (options?.organizations.length === 1 && !organization) {
      setOrganization(options.organizations[0].value);
    }
  }, [options, organization, setOrganization]);

  const programme: PlanDefinition | undefined = options?.programmes.find((p) => p.url === programmeUrl);
  const schedule = useMemo(() => (programme ? defaultSchedule(programme) : []), [programme]);
  /** The typed times per reading (one line each), else the programme's defaults. */
  const typedTimes: string[] = useMemo(() => {
    const lines = timesText ? (JSON.parse(timesText) as Record<string, string[]>) : {};
    return schedule.map((reading, i) => lines[programmeUrl]?.[i] ?? reading.times.join(', '));
  }, [timesText, schedule, programmeUrl]);

  function setTimes(index: number, value: string): void {
    const all = timesText ? (JSON.parse(timesText) as Record<string, string[]>) : {};
    const forProgramme = [...typedTimes];
    forProgramme[index] = value;
    setTimesText(JSON.stringify({ ...all, [programmeUrl]: forProgramme }));
  }

  async function submit(event: FormEvent): Promise<void> {
    event.preventDefault();
    setSubmitError(undefined);
    setExisting(undefined);
    const values = { nhsNumber, given, family, birthDate, gender, email, programme: programmeUrl, organization };
    const found = problemsOf(values, new Date().toISOString().slice(0, 10));
    const parsedTimes = typedTimes.map((text) => parseTimes(text));
    const badTimes = Object.fromEntries(
      parsedTimes.flatMap((p, i) => (p.problem ? [[i, `${schedule[i].label}: ${p.problem}`]] : []))
    ) as Record<number, string>;
    setProblems(found);
    setTimeProblems(badTimes);
    const first = (Object.keys(FIELD_IDS) as Field[]).find((f) => found[f]);
    if (first || Object.keys(badTimes).length > 0) {
      const id = first ? FIELD_IDS[first] : `enrol-times-${Object.keys(badTimes)[0]}`;
      document.getElementById(id)?.focus();
      return;
    }
    if (!programme || !fhirUser) {
      return;
    }
    setSaving(true);
    try {
      const digits = nhsNumberDigits(nhsNumber);
      const already = await findByNhsNumber(medplum, NHS_NUMBER_SYSTEM, digits);
      if (already) {
        setExisting(already);
        summary.current?.focus();
        return;
      }
      const bundle = enrolmentBundle({
        nhsNumber,
        given,
        family,
        birthDate,
        gender: gender as Sex,
        phone,
        email,
        programme,
        schedule: schedule.map((reading, i) => ({ ...reading, times: parsedTimes[i].times })),
        organization,
        clinician: fhirUser,
        colleagues,
        key: drafts.key,
        now: new Date(),
      });
      const response: Bundle = await medplum.executeBatch(bundle);
      const patientId = enrolledPatientId(response);
      drafts.clear();
      const name = `${given.trim()} ${family.trim()}`;
      navigate('/worklist', {
        state: {
          notice: `${name} (NHS number ${formatNhsNumber(digits)}) is enrolled in ${programme.title ?? 'the programme'}.`,
          patientId,
        },
      });
    } catch (err) {
      setSubmitError(plainError(err));
      summary.current?.focus();
    } finally {
      setSaving(false);
    }
  }

  if (loadError) {
    return (
      <Alert color="red" title="The enrolment form could not be opened" role="alert">
        {loadError}
      </Alert>
    );
  }
  if (!options) {
    return <Loader role="status" aria-label="Loading the programmes" />;
  }
  const problemList = [...Object.values(problems), ...Object.values(timeProblems)];
  return (
    <Stack gap="md" maw={880}>
      <Anchor component={Link} to="/worklist">
        Back to the caseload
      </Anchor>
      <Title order={1}>Enrol a patient</Title>
      <div ref={summary} tabIndex={-1}>
        {problemList.length > 0 ? (
          <Alert color="red" title="Check the form: nothing was saved" role="alert" data-testid="enrol-problems">
            <ul style={{ margin: 0, paddingLeft: '1.2em' }}>
              {problemList.map((p) => (
                <li key={p}>{p}</li>
              ))}
            </ul>
          </Alert>
        ) : null}
        {existing ? (
          <Alert color="yellow" title="This patient is already registered" role="alert" data-testid="enrol-existing">
            A patient with NHS number {formatNhsNumber(nhsNumberDigits(nhsNumber))} is already registered:{' '}
            <Anchor component={Link} to={`/patient/${existing.id}`}>
              {existing.name}
            </Anchor>
            . Nothing was saved.
          </Alert>
        ) : null}
        {submitError ? (
          <Alert color="red" title="The patient was not enrolled" role="alert" data-testid="enrol-error">
            {submitError} What you typed is kept.
          </Alert>
        ) : null}
      </div>
      {options.programmes.length === 0 ? (
        <Alert color="yellow" title="No monitoring programme" role="status">
          The server has no active monitoring programme (PlanDefinition of the rpm-threshold-programme profile) to enrol
          a patient into.
        </Alert>
      ) : null}
      <form onSubmit={(event) => void submit(event)} noValidate aria-label="Enrolment">
        <Stack gap="lg">
          <Paper withBorder p="md" component="fieldset">
            <Title order={2} size="h4" component="legend">
              Patient
            </Title>
            <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="md" mt="sm">
              <TextInput
                id={FIELD_IDS.nhsNumber}
                label="NHS number"
                description="10 digits, e.g. 943 476 5919"
                required
                inputMode="numeric"
                autoComplete="off"
                value={nhsNumber}
                onChange={(e) => setNhsNumber(e.currentTarget.value)}
                onBlur={() =>
                  nhsNumberProblem(nhsNumber) === undefined && setNhsNumber(formatNhsNumber(nhsNumberDigits(nhsNumber)))
                }
                error={problems.nhsNumber}
              />
              <TextInput
                id={FIELD_IDS.birthDate}
                label="Date of birth"
                type="date"
                required
                value={birthDate}
                onChange={(e) => setBirthDate(e.currentTarget.value)}
                error={problems.birthDate}
              />
              <TextInput
                id={FIELD_IDS.given}
                label="First name"
                required
                autoComplete="off"
                value={given}
                onChange={(e) => setGiven(e.currentTarget.value)}
                error={problems.given}
              />
              <TextInput
                id={FIELD_IDS.family}
                label="Last name"
                required
                autoComplete="off"
                value={family}
                onChange={(e) => setFamily(e.currentTarget.value)}
                error={problems.family}
              />
            </SimpleGrid>
            <Radio.Group mt="md" label="Sex" required value={gender} onChange={setGender} error={problems.gender}>
              <Group gap="lg" mt={6}>
                {SEXES.map((s) => (
                  <Radio key={s.value} id={`enrol-gender-${s.value}`} value={s.value} label={s.label} />
                ))}
              </Group>
            </Radio.Group>
            <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="md" mt="md">
              <TextInput
                label="Mobile phone (for notifications)"
                type="tel"
                autoComplete="off"
                value={phone}
                onChange={(e) => setPhone(e.currentTarget.value)}
              />
              <TextInput
                id={FIELD_IDS.email}
                label="Email (for notifications)"
                type="email"
                autoComplete="off"
                value={email}
                onChange={(e) => setEmail(e.currentTarget.value)}
                error={problems.email}
              />
            </SimpleGrid>
          </Paper>

          <Paper withBorder p="md" component="fieldset">
            <Title order={2} size="h4" component="legend">
              Programme and care team
            </Title>
            <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="md" mt="sm">
              <Select
                id={FIELD_IDS.programme}
                label="Monitoring programme"
                required
                allowDeselect={false}
                data={options.programmes.map((p) => ({ value: p.url as string, label: p.title ?? (p.url as string) }))}
                value={programmeUrl || null}
                onChange={(value) => setProgrammeUrl(value ?? '')}
                error={problems.programme}
              />
              <Select
                id={FIELD_IDS.organization}
                label="Organization"
                required
                allowDeselect={false}
                data={options.organizations}
                value={organization || null}
                onChange={(value) => setOrganization(value ?? '')}
                error={
                  problems.organization ??
                  (options.organizations.length === 0
                    ? 'You hold no role in an organization, so you cannot register patients.'
                    : undefined)
                }
              />
            </SimpleGrid>
            <Text size="sm" mt="md">
              You are on the care team. Add colleagues:
            </Text>
            {options.colleagues.length === 0 ? (
              <Text size="sm" c="dimmed">
                No colleagues found in your organization.
              </Text>
            ) : (
              <Stack gap={6} mt={6}>
                {options.colleagues.map((c) => (
                  <Checkbox
                    key={c.value}
                    label={c.label}
                    checked={colleagues.includes(c.value)}
                    onChange={(e) =>
                      setColleaguesText(
                        (e.currentTarget.checked
                          ? [...colleagues, c.value]
                          : colleagues.filter((x) => x !== c.value)
                        ).join('\n')
                      )
                    }
                  />
                ))}
              </Stack>
            )}
          </Paper>

          {programme ? (
            <Paper withBorder p="md" component="fieldset">
              <Title order={2} size="h4" component="legend">
                Reading schedule
              </Title>
              <Text size="sm" c="dimmed" mt="sm">
                The programme’s times of day (24-hour clock, separated by commas). Change them to suit the patient.
              </Text>
              <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="md" mt="sm">
                {schedule.map((reading, i) => (
                  <TextInput
                    key={`${programmeUrl}-${i}`}
                    id={`enrol-times-${i}`}
                    label={`${reading.label}: times`}
                    value={typedTimes[i]}
                    onChange={(e) => setTimes(i, e.currentTarget.value)}
                    error={timeProblems[i]}
                  />
                ))}
              </SimpleGrid>
            </Paper>
          ) : null}

          <Group>
            <Button type="submit" loading={saving} disabled={options.programmes.length === 0}>
              Enrol patient
            </Button>
            <Button variant="default" component={Link} to="/worklist">
              Cancel
            </Button>
          </Group>
        </Stack>
      </form>
    </Stack>
  );
}
