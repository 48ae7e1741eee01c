// One vital sign's trend (recharts): a line per measure over the chosen range, amber/red threshold bands and their legend.
import { List, Paper, Text, Title } from '@mantine/core';
import {
  CartesianGrid,
  Legend,
  Line,
  LineChart,
  ReferenceArea,
  ReferenceLine,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import { bandAreas, chartDomain, legendLines, RULE_KINDS, type ChartLimit } from '../thresholds/thresholdBands.ts';
import { formatDateTime } from '../../../shared/ui/formatTime.ts';
import { formatPoint, type ReadingPoint, type VitalSignSeries } from './vitalSigns.ts';

const SHORT_TIME = new Intl.DateTimeFormat('en-GB', {
  day: 'numeric',
  month: 'short',
  hour: '2-digit',
  minute: '2-digit',
});

const BAND_FILL = { amber: '#f59f00', red: '#e03131' } as const;

export function TrendChart(props: {
  series: VitalSignSeries;
  points: ReadingPoint[];
  from: number;
  to: number;
  /** The amber/red limits in force for this measure (empty: none drawn). */
  limits?: readonly ChartLimit[];
}) {
  const { definition } = props.series;
  const latest = props.points.at(-1);
  const isBloodPressure = definition.kind === 'bloodPressure';
  const limits = props.limits ?? [];
  const values = props.points.flatMap((p) => (p.value2 !== undefined ? [p.value, p.value2] : [p.value]));
  const domain = chartDomain(values, limits);
  // The main line's limits are shaded (systolic for blood pressure); the second line's are dashed lines.
  const [shaded, lined] = RULE_KINDS[definition.kind];
  const areas = shaded ? bandAreas(limits, shaded, domain) : [];
  const lines = limits.filter((l) => l.measure === lined);
  const legend = legendLines(limits, definition.unit);
  const summary = latest
    ? `${props.points.length} ${props.points.length === 1 ? 'reading' : 'readings'}; latest ${formatPoint(latest, definition)} at ${formatDateTime(new Date(latest.time).toISOString())}`
    : 'No readings in this period';
  return (
    <Paper withBorder p="sm" component="figure" m={0} aria-label={`${definition.label} trend`}>
      <Title order={3} size="h5">
        {definition.label}
        {definition.unit ? ` (${definition.unit})` : ''}
      </Title>
      <Text size="sm" c="dark.6" component="figcaption">
        {summary}
      </Text>
      {props.points.length > 0 ? (
        <div style={{ width: '100%', height: 200 }} aria-hidden="true">
          <ResponsiveContainer>
            <LineChart
              data={props.points}
              margin={{ top: 8, right: 16, bottom: 8, left: 0 }}
              accessibilityLayer={false}
            >
              <CartesianGrid strokeDasharray="3 3" />
              <XAxis
                dataKey="time"
                type="number"
                scale="time"
                domain={[props.from, props.to]}
                tickFormatter={(t: number) => SHORT_TIME.format(t)}
                minTickGap={40}
              />
              <YAxis domain={limits.length ? domain : ['auto', 'auto']} width={44} allowDataOverflow={false} />
              {areas.map((area) => (
                <ReferenceArea
                  key={`${area.band}-${area.side}`}
                  className={`rpm-band rpm-band-${area.band}`}
                  y1={area.y1}
                  y2={area.y2}
                  fill={BAND_FILL[area.band]}
                  fillOpacity={area.band === 'red' ? 0.14 : 0.18}
                  stroke="none"
                  ifOverflow="hidden"
                />
              ))}
              {lines.map((limit) => (
                <ReferenceLine
                  key={`${limit.band}-${limit.side}`}
                  className={`rpm-band-line rpm-band-${limit.band}`}
                  y={limit.value}
                  stroke={BAND_FILL[limit.band]}
                  strokeDasharray="2 4"
                  ifOverflow="extendDomain"
                />
              ))}
              <Tooltip labelFormatter={(t) => SHORT_TIME.format(Number(t))} />
              {isBloodPressure ? <Legend /> : null}
              <Line
                dataKey="value"
                name={isBloodPressure ? 'Systolic' : definition.label}
                stroke="#1864ab"
                dot
                isAnimationActive={false}
              />
              {isBloodPressure ? (
                <Line
                  dataKey="value2"
                  name="Diastolic"
                  stroke="#c92a2a"
                  strokeDasharray="5 3"
                  dot
                  isAnimationActive={false}
                />
              ) : null}
            </LineChart>
          </ResponsiveContainer>
        </div>
      ) : null}
      {legend.length > 0 ? (
        <List size="xs" spacing={0} mt={4} aria-label={`${definition.label} alert limits`} data-testid="band-legend">
          {legend.map((line) => (
            <List.Item key={line}>{line}</List.Item>
          ))}
        </List>
      ) : null}
    </Paper>
  );
}
