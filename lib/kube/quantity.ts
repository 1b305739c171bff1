/**
 * Kubernetes resource quantities (`10Gi`, `500M`, `1.5e3`) as numbers, to compare two sizes. Exact
 * enough for storage: a double holds every byte count below 2^53 (8 PiB) exactly.
 */
const SUFFIX: Readonly<Record<string, number>> = {
  '': 1,
  m: 1e-3,
  u: 1e-6,
  n: 1e-9,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

const QUANTITY = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|([KMGTPE]i|[munkMGTPE])?)$/;

/** The value of a quantity, or undefined when it is not one. */
export function quantityValue(quantity: string | number | undefined): number | undefined {
  if (typeof quantity === 'number') return Number.isFinite(quantity) ? quantity : undefined;
  if (quantity === undefined) return undefined;
  const match = QUANTITY.exec(quantity.trim());
  if (match === null) return undefined;
  const [, digits, exponent, suffix] = match;
  const base = Number(digits);
  return exponent !== undefined ? base * 10 ** Number(exponent.slice(1)) : base * (SUFFIX[suffix ?? ''] ?? 1);
}

/** -1, 0 or 1 as `a` is smaller than, equal to or larger than `b`; undefined when either is not a quantity. */
export function compareQuantities(a: string | number | undefined, b: string | number | undefined): -1 | 0 | 1 | undefined {
  const x = quantityValue(a);
  const y = quantityValue(b);
  if (x === undefined || y === undefined) return undefined;
  return x < y ? -1 : x > y ? 1 : 0;
}
