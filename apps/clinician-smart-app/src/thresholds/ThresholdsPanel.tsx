// The thresholds editor: per vital sign and band the programme default, the patient's own limit and what is in force;
// changes as Goals, and who changed what when (the Goals' history).
import { Alert, Button, Stack, Table, Text, Title, VisuallyHidden } from '@mantine/core';
import type { WithId } from '@medplum/core';
import type { CarePlan, Goal, PlanDefinition } from '@medplum/fhirtypes';
import { useMedplum } from '@medplum/react';
import { useEffect, useMemo, useState } from 'react';
import { formatDateTime } from '../../../shared/ui/formatTime.ts';
import { plainError } from '../ui/plainError.ts';
import { effectiveThresholds, formatLimit, type RuleKind, type ThresholdBand } from './thresholdBands.ts';
import { ThresholdEditor } from './ThresholdEditor.tsx';
import { activeOverride, BAND_WORDS, EDITABLE_MEASURES, goalLimits } from './thresholdGoals.ts';
import { loadThresholdChanges, type ThresholdChange } from './thresholdHistory.ts';

function limitsText(kind: RuleKind, limits: { low?: { value: number }; high?: { value: number } } | undefined): string {
  const sides = [
    limits?.low ? `below ${formatLimit(kind, limits.low.value)}` : undefined,
    limits?.high ? `above ${formatLimit(kind, limits.high.value)}` : undefined,
  ].filter(Boolean);
  return sides.length ? `alerts ${sides.join(' or ')}` : 'none';
}

export function ThresholdsPanel(props: {
  patientId: string;
  carePlan?: WithId<CarePlan>;
  programme?: PlanDefinition;
  /** Every Goal of the patient; the CarePlan's `goal` list says which the bots apply. */
  goals: WithId<Goal>[];
  onSaved: () => void;
}) {
  const medplum = useMedplum();
  const [editing, setEditing] = useState<{ kind: RuleKind; band: ThresholdBand }>();
  const [result, setResult] = useState<string>();
  const [changes, setChanges] = useState<ThresholdChange[]>();
  const [historyError, setHistoryError] = useState<string>();

  const listed = useMemo(() => {
    const refs = new Set((props.carePlan?.goal ?? []).map((g) => g.reference));
    return props.goals.filter((g) => refs.has(`Goal/${g.id}`));
  }, [props.carePlan, props.goals]);
  const defaults = useMemo(() => effectiveThresholds(props.programme, []), [props.programme]);
  const inForce = useMemo(() => effectiveThresholds(props.programme, listed), [props.programme, listed]);

  useEffect(() => {
    let current = true;
    loadThresholdChanges(medplum, props.goals)
      .then((found) => current && (setChanges(found), setHistoryError(undefined)))
      .catch((err: unknown) => current && setHistoryError(plainError(err)));
    return () => {
      current = false;
    };
  }, [medplum, props.goals]);

  if (!props.carePlan) {
    return (
      <Stack gap="sm" component="section" aria-labelledby="thresholds-heading">
        <Title order={2} size="h4" id="thresholds-heading">
          Alert thresholds
        </Title>
        <Text>Not enrolled in a monitoring programme: enrol the patient before setting their limits.</Text>
      </Stack>
    );
  }
  const carePlan = props.carePlan;
  const editingMeasure = editing ? EDITABLE_MEASURES.find((m) => m.kind === editing.kind) : undefined;

  return (
    <Stack gap="sm" component="section" aria-labelledby="thresholds-heading">
      <Title order={2} size="h4" id="thresholds-heading">
        Alert thresholds
      </Title>
      <Text size="sm">
        A reading beyond a limit raises an alert of that band. The patient’s own limits replace the programme default
        for that side only.
      </Text>
      {inForce.warnings.length ? (
        <Alert color="yellow" title="Some limits need attention">
          {inForce.warnings.join('. ')}
        </Alert>
      ) : null}
      <Table.ScrollContainer minWidth={560}>
        <Table striped verticalSpacing="xs" data-testid="thresholds">
          <Table.Caption>Limits per vital sign and band</Table.Caption>
          <Table.Thead>
            <Table.Tr>
              <Table.Th scope="col">Vital sign</Table.Th>
              <Table.Th scope="col">Band</Table.Th>
              <Table.Th scope="col">Programme default</Table.Th>
              <Table.Th scope="col">Patient’s own limit</Table.Th>
              <Table.Th scope="col">In force</Table.Th>
              <Table.Th scope="col">
                <VisuallyHidden>Action</VisuallyHidden>
              </Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {EDITABLE_MEASURES.flatMap((measure) =>
              (['amber', 'red'] as const).map((band) => {
                const override = activeOverride(listed, measure.kind, band);
                const unit = measure.unitLabel;
                const programmeText = limitsText(measure.kind, defaults.thresholds[measure.kind]?.[band]);
                const inForceText = limitsText(measure.kind, inForce.thresholds[measure.kind]?.[band]);
                const own = override ? goalLimits(override) : {};
                const overrideText = override
                  ? `${limitsText(measure.kind, {
                      low: own.low !== undefined ? { value: own.low } : undefined,
                      high: own.high !== undefined ? { value: own.high } : undefined,
                    })} (${changes?.find((c) => c.key.startsWith(`${override.id}/`))?.who ?? override.expressedBy?.display ?? override.expressedBy?.reference ?? 'set'}, ${formatDateTime(override.meta?.lastUpdated)})`
                  : 'none';
                const label = `${BAND_WORDS[band]} ${measure.label.toLowerCase()}`;
                return (
                  <Table.Tr key={`${measure.kind}-${band}`} data-measure={measure.kind} data-band={band}>
                    <Table.Th scope="row" fw={500}>
                      {measure.label} ({unit})
                    </Table.Th>
                    <Table.Td>{BAND_WORDS[band]}</Table.Td>
                    <Table.Td>{programmeText}</Table.Td>
                    <Table.Td>{overrideText}</Table.Td>
                    <Table.Td>{inForceText}</Table.Td>
                    <Table.Td>
                      <Button
                        size="compact-sm"
                        variant="subtle"
                        aria-label={`Change ${label} limits`}
                        onClick={() => {
                          setResult(undefined);
                          setEditing({ kind: measure.kind, band });
                        }}
                      >
                        Change
                      </Button>
                    </Table.Td>
                  </Table.Tr>
                );
              })
            )}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      {editing && editingMeasure ? (
        <ThresholdEditor
          key={`${editing.kind}-${editing.band}`}
          patientId={props.patientId}
          kind={editing.kind}
          band={editing.band}
          carePlan={carePlan}
          override={activeOverride(listed, editing.kind, editing.band)}
          programmeText={`${limitsText(editing.kind, defaults.thresholds[editing.kind]?.[editing.band])} ${editingMeasure.unitLabel}`}
          thresholds={inForce}
          onSaved={(message) => {
            setEditing(undefined);
            setResult(message);
            props.onSaved();
          }}
          onClose={() => setEditing(undefined)}
        />
      ) : null}
      {result ? (
        <Text role="status" size="sm" fw={600} data-testid="threshold-result">
          {result}
        </Text>
      ) : null}
      <Title order={3} size="h5" id="threshold-history-heading">
        Changes to this patient’s limits
      </Title>
      {historyError ? (
        <Alert color="red" title="The history could not be loaded" role="alert">
          {historyError}
        </Alert>
      ) : null}
      {changes?.length === 0 ? <Text size="sm">No changes: the programme defaults apply.</Text> : null}
      {changes?.length ? (
        <Table.ScrollContainer minWidth={480}>
          <Table verticalSpacing="xs" aria-labelledby="threshold-history-heading" data-testid="threshold-history">
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">When</Table.Th>
                <Table.Th scope="col">Who</Table.Th>
                <Table.Th scope="col">What</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {changes.map((change) => (
                <Table.Tr key={change.key}>
                  <Table.Td>{formatDateTime(change.when)}</Table.Td>
                  <Table.Td>{change.who}</Table.Td>
                  <Table.Td>
                    {change.what}
                    {change.reason ? ` (${change.reason})` : ''}
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      ) : null}
    </Stack>
  );
}
