// The worklist as a table: one row a patient; acuity as words and colour; the patient's name is the link to open them.
import { Text } from '@mantine/core';
import { memo, type MouseEvent } from 'react';
import { useHref, useNavigate } from 'react-router';
import { displayName, nhsNumber } from '../patient/patientDetails.ts';
import { formatDateTime, timeAgo } from '../../../shared/ui/formatTime.ts';
import { NEWS2_BAND_LABEL, SEVERITY_LABEL } from './acuity.ts';
import type { WorklistRow } from './loadCaseload.ts';
import classes from './WorklistTable.module.css';

// Rows are plain table elements styled by class (WorklistTable.module.css), not Mantine components: a caseload of
// hundreds of rows then costs the browser one shared style per kind of cell, not one per element. Patient links are
// plain anchors (a router Link costs several hooks per row); one handler on the table navigates inside the app.

/** Cell contents are plain functions, not components: 500 rows then cost no extra component per cell. */
function alertCell(row: WorklistRow) {
  const { alertSeverity, openAlerts } = row.acuity;
  if (!alertSeverity) {
    return <>No open alerts</>;
  }
  return (
    <span className={classes.alerts}>
      <span className={`${classes.badge} ${classes[alertSeverity]}`}>{SEVERITY_LABEL[alertSeverity]}</span>
      <span>
        {openAlerts} open {openAlerts === 1 ? 'alert' : 'alerts'}
      </span>
    </span>
  );
}

function news2Cell(row: WorklistRow) {
  const news2 = row.acuity.news2;
  if (!news2) {
    return <>No recent score</>;
  }
  return (
    <>
      <strong>{news2.score}</strong> {NEWS2_BAND_LABEL[news2.band]}
    </>
  );
}

function overdueCell(row: WorklistRow) {
  const { scheduled, overdue } = row.overdue ?? { scheduled: 0, overdue: [] };
  if (scheduled === 0) {
    return <>No schedule</>;
  }
  if (overdue.length === 0) {
    return <>None overdue</>;
  }
  return (
    <span className={classes.overdue}>
      {overdue.length} overdue: {overdue.join(', ')}
    </span>
  );
}

/** One patient's row; unchanged rows are not rendered again when a live update refreshes another. */
const PatientRow = memo(function PatientRow(props: { row: WorklistRow; now: number; appRoot: string }) {
  const { row, now, appRoot } = props;
  const nhs = nhsNumber(row.patient);
  return (
    <tr data-patient-id={row.patient.id}>
      <th scope="row">
        <a
          className={classes.patientLink}
          href={`${appRoot}patient/${row.patient.id}`}
          data-app-path={`/patient/${row.patient.id}`}
        >
          {displayName(row.patient)}
        </a>
        <span className={classes.nhs}>{nhs ? `NHS ${nhs}` : ''}</span>
      </th>
      <td>{alertCell(row)}</td>
      <td>{news2Cell(row)}</td>
      <td title={formatDateTime(row.lastReading)}>{timeAgo(row.lastReading, now)}</td>
      <td>{overdueCell(row)}</td>
      <td>{row.programme ?? 'Not enrolled'}</td>
      <td>{row.careTeam ?? '—'}</td>
    </tr>
  );
});

/** A plain click on a patient's link opens the patient view in the app; other clicks (new tab, …) stay the browser's. */
function openInApp(event: MouseEvent<HTMLElement>, navigate: (path: string) => void): void {
  const link = (event.target as HTMLElement).closest<HTMLAnchorElement>('a[data-app-path]');
  if (
    !link ||
    event.defaultPrevented ||
    event.button !== 0 ||
    event.metaKey ||
    event.ctrlKey ||
    event.shiftKey ||
    event.altKey
  ) {
    return;
  }
  event.preventDefault();
  navigate(link.dataset.appPath as string);
}

export function WorklistTable(props: { rows: WorklistRow[]; total: number; now: number }) {
  const navigate = useNavigate();
  const appRoot = useHref('/').replace(/\/?$/, '/');
  if (props.total === 0) {
    return <Text>There are no patients on your caseload.</Text>;
  }
  return (
    // Scrolls sideways on a narrow screen: focusable, so a keyboard can scroll it too.
    <div className={classes.scroll} role="region" aria-label="Caseload table" tabIndex={0}>
      <table className={classes.table} data-testid="worklist" onClick={(event) => openInApp(event, navigate)}>
        <caption>
          {props.rows.length} of {props.total} patients, most acute first (open alert severity, then NEWS2)
        </caption>
        <thead>
          <tr>
            <th scope="col">Patient</th>
            <th scope="col">Alerts</th>
            <th scope="col">NEWS2</th>
            <th scope="col">Last reading</th>
            <th scope="col">Overdue readings</th>
            <th scope="col">Programme</th>
            <th scope="col">Care team</th>
          </tr>
        </thead>
        <tbody>
          {props.rows.map((row) => (
            <PatientRow key={row.patient.id} row={row} now={props.now} appRoot={appRoot} />
          ))}
        </tbody>
      </table>
    </div>
  );
}
