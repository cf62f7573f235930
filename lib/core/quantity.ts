/**
 * Kubernetes resource quantities (`100m`, `0.5`, `1e3`, `128Mi`, `1G`, `512Ki`, plain bytes) as
 * exact numbers. The value is kept as a fraction of big integers until it is rounded, so `1.1`
 * CPU is 1100 millicores, not 1100.0000000000002 rounded up to 1101.
 *
 * @see https://kubernetes.io/docs/reference/kubernetes-api/common-definitions/quantity/
 */

const QUANTITY = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(?:(Ki|Mi|Gi|Ti|Pi|Ei)|([numkMGTPE])|[eE]([+-]?\d+))?$/;
const BINARY_EXPONENTS: Readonly<Record<string, number>> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const DECIMAL_EXPONENTS: Readonly<Record<string, number>> = { n: -9, u: -6, m: -3, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
/** Far beyond any real amount (Kubernetes stores quantities in 64 bits), and it keeps `1e999999999` from hanging. */
const MAX_POWER_OF_TEN = 64;

/** A quantity as `numerator / denominator`, both big integers, the denominator positive. */
interface Fraction {
  readonly numerator: bigint;
  readonly denominator: bigint;
}

/** Whether a value (a string or a number, as synthesized JSON holds quantities) is a valid quantity. */
export function isQuantity(value: unknown): boolean {
  return toFraction(value) !== undefined;
}

/**
 * CPU in millicores, rounded up as the scheduler rounds it (`0.0001` is 1m).
 * @throws if the value is not a quantity
 */
export function cpuMillis(value: string | number): number {
  return Number(ceilDivide(scaled(value, 1000n)));
}

/**
 * Memory (or any byte count) in bytes, rounded up to a whole byte.
 * @throws if the value is not a quantity
 */
export function memoryBytes(value: string | number): number {
  return Number(ceilDivide(scaled(value, 1n)));
}

function scaled(value: string | number, factor: bigint): Fraction {
  const fraction = toFraction(value);
  if (fraction === undefined) {
    throw new Error(`'${String(value)}' is not a Kubernetes quantity: write it like '500m', '2', '128Mi' or '1Gi'`);
  }
  return { numerator: fraction.numerator * factor, denominator: fraction.denominator };
}

function toFraction(value: unknown): Fraction | undefined {
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  // JSON numbers print as `0.5` or `1e+21`, both quantity syntax.
  const match = QUANTITY.exec(typeof value === 'number' ? String(value) : value);
  if (match === null) return undefined;
  const [, sign, number, binarySuffix, decimalSuffix, exponent] = match;
  const [whole, decimals = ''] = number.split('.');
  let numerator = BigInt(`${whole || '0'}${decimals}`) * (sign === '-' ? -1n : 1n);
  let denominator = 10n ** BigInt(decimals.length);
  const powerOfTen = decimalSuffix !== undefined ? DECIMAL_EXPONENTS[decimalSuffix] : exponent !== undefined ? Number(exponent) : 0;
  if (Math.abs(powerOfTen) > MAX_POWER_OF_TEN) return undefined;
  if (powerOfTen >= 0) numerator *= 10n ** BigInt(powerOfTen);
  else denominator *= 10n ** BigInt(-powerOfTen);
  if (binarySuffix !== undefined) numerator *= 2n ** BigInt(BINARY_EXPONENTS[binarySuffix]);
  return { numerator, denominator };
}

/** The smallest integer at or above the fraction. */
function ceilDivide({ numerator, denominator }: Fraction): bigint {
  const quotient = numerator / denominator;
  return quotient * denominator < numerator ? quotient + 1n : quotient;
}
