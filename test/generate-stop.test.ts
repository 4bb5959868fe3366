import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StopMatcher } from '../src/generate/stop.js';

/** Feeds pieces one by one; returns what was emitted and whether a stop ended it. */
function feed(stops: string[], pieces: string[]): { emitted: string[]; stopped: boolean } {
  const m = new StopMatcher(stops);
  const emitted: string[] = [];
  for (const p of pieces) {
    const r = m.push(p);
    emitted.push(r.text);
    if (r.stopped) return { emitted, stopped: true };
  }
  emitted.push(m.flush());
  return { emitted, stopped: false };
}

test('a stop string inside one piece ends the text just before it', () => {
  const r = feed(['\n\n'], ['Hello', ' world.\n\nNext']);
  assert.equal(r.stopped, true);
  assert.equal(r.emitted.join(''), 'Hello world.');
});

test('a stop string split across pieces is found, and no part of it is ever emitted', () => {
  const r = feed(['<|end|>'], ['Hi', ' there<', '|e', 'nd', '|>more']);
  assert.equal(r.stopped, true);
  assert.deepEqual(r.emitted, ['Hi', ' there', '', '', '']);
  for (const e of r.emitted) assert.ok(!e.includes('<'), `partial stop text emitted: ${e}`);
});

test('held-back text that turns out not to be a stop is released, in order', () => {
  const r = feed(['STOP'], ['a S', 'T', 'x b', ' ST']);
  assert.equal(r.stopped, false);
  assert.deepEqual(r.emitted, ['a ', '', 'STx b', ' ', 'ST']);
  assert.equal(r.emitted.join(''), 'a STx b ST');
});

test('the earliest of several stop strings wins; empty stop strings are ignored', () => {
  const r = feed(['world', 'lo w', ''], ['Hello world']);
  assert.equal(r.emitted.join(''), 'Hel');
  const none = feed([''], ['abc']);
  assert.equal(none.stopped, false);
  assert.equal(none.emitted.join(''), 'abc');
});
