import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SlotQueue } from '../src/server/queue.js';

test('the slot queue runs `slots` at once, serves waiters first come first served, and refuses past its bound', async () => {
  const changes: Array<[number, number]> = [];
  const queue = new SlotQueue(2, 2, () => changes.push([queue.active, queue.queued]));
  const signal = new AbortController().signal;
  const a = await queue.acquire(signal)!;
  const b = await queue.acquire(signal)!;
  const order: string[] = [];
  const c = queue.acquire(signal)!.then((release) => (order.push('c'), release));
  const d = queue.acquire(signal)!.then((release) => (order.push('d'), release));
  assert.equal(queue.acquire(signal), null, 'a fifth request must be refused');
  assert.deepEqual([queue.active, queue.queued], [2, 2]);
  b();
  b(); // a second release of the same slot changes nothing
  const releaseC = await c;
  assert.deepEqual([queue.active, queue.queued], [2, 1]);
  a();
  const releaseD = await d;
  assert.deepEqual(order, ['c', 'd']);
  releaseC();
  releaseD();
  assert.deepEqual([queue.active, queue.queued], [0, 0]);
  assert.deepEqual(changes.at(-1), [0, 0]);
});

test('a waiter whose signal aborts leaves the queue and its promise rejects with the reason', async () => {
  const queue = new SlotQueue(1, 4);
  const release = await queue.acquire(new AbortController().signal)!;
  const controller = new AbortController();
  const waiting = queue.acquire(controller.signal)!;
  assert.equal(queue.queued, 1);
  controller.abort(new Error('client left'));
  await assert.rejects(waiting, /client left/);
  assert.equal(queue.queued, 0);
  release();
  assert.equal(queue.active, 0, 'the slot must not pass to the aborted waiter');
  const aborted = new AbortController();
  aborted.abort(new Error('already gone'));
  const again = await queue.acquire(new AbortController().signal)!;
  await assert.rejects(queue.acquire(aborted.signal)!, /already gone/);
  assert.equal(queue.queued, 0);
  again();
});
