// "Discharge from monitoring" on the patient view: says what will happen (open alerts included) and asks to confirm.
import { Alert, Button, Checkbox, Group, Modal, Stack, Text } from '@mantine/core';
import { useMedplum } from '@medplum/react';
import { useState } from 'react';
import { useNavigate } from 'react-router';
import { plainError } from '../ui/plainError.ts';
import { dischargePatient, loadDischargeState, type DischargeState } from './discharge.ts';

export function DischargePanel(props: { patientId: string; patientName: string }) {
  const medplum = useMedplum();
  const navigate = useNavigate();
  const [state, setState] = useState<DischargeState>();
  const [opened, setOpened] = useState(false);
  const [alertsConfirmed, setAlertsConfirmed] = useState(false);
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  async function open(): Promise<void> {
    setError(undefined);
    setAlertsConfirmed(false);
    setBusy(true);
    try {
      setState(await loadDischargeState(medplum, props.patientId));
      setOpened(true);
    } catch (err) {
      setError(plainError(err));
    } finally {
      setBusy(false);
    }
  }

  async function discharge(): Promise<void> {
    if (!state) {
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      await dischargePatient(medplum, state);
      setOpened(false);
      navigate('/worklist', { state: { notice: `${props.patientName} was discharged from remote monitoring.` } });
    } catch (err) {
      setError(plainError(err));
    } finally {
      setBusy(false);
    }
  }

  const openAlerts = state?.openAlerts.length ?? 0;
  const nothingToEnd = state !== undefined && state.carePlans.length + state.careTeams.length === 0;
  return (
    <>
      <Group>
        <Button variant="default" color="red" onClick={() => void open()} loading={busy && !opened}>
          Discharge from monitoring
        </Button>
      </Group>
      {error && !opened ? (
        <Alert color="red" title="The discharge could not start" role="alert">
          {error}
        </Alert>
      ) : null}
      <Modal opened={opened} onClose={() => setOpened(false)} title={`Discharge ${props.patientName}`} centered>
        <Stack gap="sm">
          {nothingToEnd ? (
            <Text>{props.patientName} has no active monitoring programme or care team: there is nothing to end.</Text>
          ) : (
            <Text>
              Monitoring ends now: the programme ({state?.carePlans.length ?? 0}) is marked completed and the care team
              ({state?.careTeams.length ?? 0}) ended, so {props.patientName} leaves the caseload. The record is kept.
            </Text>
          )}
          {openAlerts > 0 ? (
            <Alert color="yellow" title={`${openAlerts} open ${openAlerts === 1 ? 'alert' : 'alerts'}`}>
              <Stack gap="xs">
                <Text size="sm">{state?.openAlerts.map((a) => a.detail ?? a.code?.text ?? 'Alert').join('; ')}</Text>
                <Checkbox
                  checked={alertsConfirmed}
                  onChange={(e) => setAlertsConfirmed(e.currentTarget.checked)}
                  label="I have reviewed the open alerts: close them as part of the discharge"
                />
              </Stack>
            </Alert>
          ) : null}
          {error ? (
            <Alert color="red" title="The patient was not discharged" role="alert">
              {error}
            </Alert>
          ) : null}
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setOpened(false)}>
              Cancel
            </Button>
            <Button
              color="red"
              onClick={() => void discharge()}
              loading={busy}
              disabled={nothingToEnd || (openAlerts > 0 && !alertsConfirmed)}
            >
              Discharge
            </Button>
          </Group>
        </Stack>
      </Modal>
    </>
  );
}
