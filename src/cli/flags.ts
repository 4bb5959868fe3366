import { fail } from '../errors.js';

/** The values a numeric flag accepts: integers only, and/or inclusive bounds. */
export interface NumberRange {
  integer?: boolean;
  min?: number;
  max?: number;
  /** An exclusive lower bound, for values that divide (a penalty of 0 would). */
  above?: number;
}

function rangeText({ integer, min, max, above }: NumberRange): string {
  const kind = integer === true ? 'an integer' : 'a number';
  if (above !== undefined) return `${kind} > ${above}`;
  if (min !== undefined && max !== undefined) return `${kind} from ${min} to ${max}`;
  if (min !== undefined) return `${kind} >= ${min}`;
  if (max !== undefined) return `${kind} <= ${max}`;
  return kind;
}

/**
 * A commander argument parser for a numeric flag. It runs while the command line is parsed, so a bad value is
 * refused by name before a model is loaded (which can take a while), not by the library option it feeds.
 */
export function numberFlag(flag: string, range: NumberRange = {}): (value: string) => number {
  return (value) => {
    const n = Number(value);
    const ok =
      value.trim() !== '' &&
      Number.isFinite(n) &&
      (range.integer !== true || Number.isInteger(n)) &&
      (range.min === undefined || n >= range.min) &&
      (range.max === undefined || n <= range.max) &&
      (range.above === undefined || n > range.above);
    if (!ok) fail('BAD_ARGUMENT', `${flag} expects ${rangeText(range)}, got '${value}'`);
    return n;
  };
}
