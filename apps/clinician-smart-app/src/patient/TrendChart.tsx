// One vital sign's trend (recharts): a line per measure over the chosen range; the readings table carries the numbers.
import { Paper, Text, Title } from '@mantine/core';
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { formatDateTime } from '../ui/formatTime.ts';
import { formatPoint, type ReadingPoint, type VitalSignSeries } from './vitalSigns.ts';

const SHORT_TIME = new Intl.DateTimeFormat('en-GB', {
  day: 'numeric',
  month: 'short',
  hour: '2-digit',
  minute: '2-digit',
});

export function TrendChart(props: { series: VitalSignSeries; points: ReadingPoint[]; from: number; to: number }) {
  const { definition } = props.series;
  const latest = props.points.at(-1);
  const isBloodPressure = definition.kind === 'bloodPressure';
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
              <YAxis domain={['auto', 'auto']} width={44} />
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
    </Paper>
  );
}
