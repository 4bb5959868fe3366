/**
 * Checks for deliberate failures: a RealizarError with the expected code and a one-line message that mentions
 * each given part (a substring or a pattern), as every fail(code, message) in src must give.
 */
import assert from 'node:assert/strict';
import { RealizarError } from '../../src/errors.js';

/** A validator for assert.throws/rejects. */
export function isError(code: string, ...parts: (string | RegExp)[]): (e: unknown) => boolean {
  return (e) => {
    assert.ok(e instanceof RealizarError, `expected a RealizarError, got ${e instanceof Error ? e.stack : String(e)}`);
    assert.equal(e.code, code, e.message);
    assert.ok(!e.message.includes('\n'), `one line: ${e.message}`);
    for (const p of parts) assert.ok(typeof p === 'string' ? e.message.includes(p) : p.test(e.message), `'${e.message}' should mention ${String(p)}`);
    return true;
  };
}

export function expectError(fn: () => unknown, code: string, ...parts: (string | RegExp)[]): void {
  assert.throws(fn, isError(code, ...parts));
}
