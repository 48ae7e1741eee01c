// One vital sign's trend (recharts), hidden from screen readers: the list below it carries the same numbers.
import { CartesianGrid, Line, LineChart, ResponsiveContainer, XAxis, YAxis } from 'recharts';
import type { Reading } from './readingStatus.ts';

const SHORT_DAY = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short' });

export function ReadingChart(props: { readings: Reading[] }) {
  const points = [...props.readings]
    .reverse()
    .map((r) => ({ time: Date.parse(r.time), value: r.value, value2: r.value2 }));
  const twoLines = props.readings.some((r) => r.value2 !== undefined);
  return (
    <div style={{ width: '100%', height: 200 }} aria-hidden="true" data-testid="reading-chart">
      <ResponsiveContainer>
        <LineChart data={points} margin={{ top: 8, right: 8, bottom: 8, left: 0 }} accessibilityLayer={false}>
          <CartesianGrid strokeDasharray="3 3" />
          <XAxis
            dataKey="time"
            type="number"
            scale="time"
            domain={['dataMin', 'dataMax']}
            tickFormatter={(t: number) => SHORT_DAY.format(t)}
            minTickGap={32}
          />
          <YAxis domain={['auto', 'auto']} width={40} />
          <Line dataKey="value" stroke="#1864ab" strokeWidth={2} dot isAnimationActive={false} />
          {twoLines ? (
            <Line
              dataKey="value2"
              stroke="#862e9c"
              strokeDasharray="5 3"
              strokeWidth={2}
              dot
              isAnimationActive={false}
            />
          ) : null}
        </LineChart>
      </ResponsiveContainer>
    </div>
  );
}
