import { openSync } from 'node:fs';
import { fail, systemErrorText } from '../errors.js';

/** A read-only descriptor for `path`; an OS refusal (absent, no permission, ...) becomes a MISSING error in words. */
export function openForReading(path: string): number {
  try {
    return openSync(path, 'r');
  } catch (e) {
    return fail('MISSING', `cannot open ${path}: ${systemErrorText(e)}`);
  }
}
