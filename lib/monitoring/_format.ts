import { Duration, Lazy, Size, SizeRoundingBehavior } from 'cdk8s';

const UNITS: ReadonlyArray<[string, number]> = [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000], ['ms', 1]];

/** A Prometheus duration in the largest unit that is exact: `15d`, `90s`, `500ms`. */
export function promDuration(duration: Duration): string {
  const millis = duration.toMilliseconds({ integral: false });
  const [unit, size] = UNITS.find(([, unitMillis]) => millis % unitMillis === 0) ?? ['ms', 1];
  return `${millis / size}${unit}`;
}

/** Milliseconds of a duration, or NaN when it is not a whole, finite number of them. */
export function wholeMillis(duration: Duration): number {
  const millis = duration.toMilliseconds({ integral: false });
  return Number.isInteger(millis) ? millis : NaN;
}

/** Mebibytes of a size, rounded down; NaN when the size is not finite. */
export function wholeMebibytes(size: Size): number {
  const kib = size.toKibibytes({ rounding: SizeRoundingBehavior.NONE });
  return Number.isFinite(kib) ? Math.floor(kib / 1024) : NaN;
}

/** A value computed when the chart is rendered, after every construct has been added. */
export function lazy<T>(produce: () => T): T {
  return Lazy.any({ produce }) as T;
}

/** Escapes a literal for use inside an RE2 regex, which Prometheus anchors at both ends. */
export function escapeRegex(literal: string): string {
  return literal.replace(/[\\^$.|?*+()[\]{}]/g, '\\$&');
}

/** The name Prometheus's Kubernetes discovery gives a label: every other character becomes `_`. */
export function sanitizeLabelName(name: string): string {
  const sanitized = name.replace(/[^a-zA-Z0-9_]/g, '_');
  return /^[0-9]/.test(sanitized) ? `_${sanitized}` : sanitized;
}

/** A PromQL label matcher with its value quoted and escaped. */
export function matcher(label: string, value: string, op = '='): string {
  return `${label}${op}${JSON.stringify(value)}`;
}
