/** One bar per label, stacked by series; hand-written SVG (a chart library would outweigh the whole console). */
export interface StackedBars {
  labels: string[];
  series: Array<{ name: string; values: number[] }>;
}

const palette = ['#2563eb', '#d97706', '#059669', '#9333ea', '#dc2626', '#0891b2'];
export const colorOf = (index: number) => palette[index % palette.length];

export function StackedBarChart({ data, title, unit }: { data: StackedBars; title: string; unit: string }) {
  const width = 1200;
  const height = 240;
  const left = 64;
  const top = 12;
  const bottom = 28;
  const totals = data.labels.map((_, index) => data.series.reduce((sum, series) => sum + series.values[index], 0));
  const max = Math.max(...totals, 0) || 1;
  const slot = (width - left) / Math.max(data.labels.length, 1);
  const barWidth = Math.max(4, Math.min(48, slot * 0.7));
  const y = (value: number) => ((height - top - bottom) * value) / max;
  const ticks = [0, 0.5, 1].map((share) => share * max);
  return (
    <figure class="chart">
      <svg viewBox={`0 0 ${width} ${height}`} role="img" aria-label={`${title}: ${data.labels.map((label, index) => `${label} ${totals[index].toFixed(4)} ${unit}`).join(', ')}`}>
        {ticks.map((tick) => (
          <g key={tick}>
            <line x1={left} x2={width} y1={height - bottom - y(tick)} y2={height - bottom - y(tick)} class="grid" />
            <text x={left - 6} y={height - bottom - y(tick) + 4} text-anchor="end" class="axis">
              {tick.toFixed(tick < 1 ? 4 : 2)}
            </text>
          </g>
        ))}
        {data.labels.map((label, index) => {
          const x = left + slot * index + (slot - barWidth) / 2;
          let base = height - bottom;
          return (
            <g key={label}>
              {data.series.map((series, seriesIndex) => {
                const h = y(series.values[index]);
                base -= h;
                return h > 0 ? (
                  <rect key={series.name} x={x} y={base} width={barWidth} height={h} fill={colorOf(seriesIndex)}>
                    <title>{`${label} ${series.name}: ${series.values[index]} ${unit}`}</title>
                  </rect>
                ) : null;
              })}
              <text x={x + barWidth / 2} y={height - 8} text-anchor="middle" class="axis">
                {label.slice(5)}
              </text>
            </g>
          );
        })}
      </svg>
      <figcaption>
        <ul class="legend">
          {data.series.map((series, index) => (
            <li key={series.name}>
              <span class={`swatch swatch-${index % palette.length}`} aria-hidden="true" /> {series.name}
            </li>
          ))}
        </ul>
      </figcaption>
    </figure>
  );
}
