import { fail } from '../errors.js';
import type { Backend, KvCache, KvType } from './backend.js';
import { roundToF16 } from './js/activation-rounding.js';

/**
 * A KV cache in two f32 buffers from `backend.alloc`, attended over with `backend.attention`. As type 'f16' it
 * keeps what it stores rounded to f16 (in f32 buffers), so that its attention equals attention over a true
 * f16 cache: the reference for backends that hold f16 natively.
 */
export function floatKvCache(backend: Backend, type: KvType, capacity: number, kvHeads: number, headDim: number): KvCache {
  const kvDim = kvHeads * headDim;
  const keys = backend.alloc(capacity * kvDim);
  let values: Float32Array;
  try {
    values = backend.alloc(capacity * kvDim);
  } catch (e) {
    backend.free(keys);
    throw e;
  }
  const round = type === 'f16' ? roundToF16 : (x: Float32Array) => x;
  return {
    type,
    capacity,
    store(k, v, start, n) {
      checkRows(start, n, capacity);
      keys.set(round(k.subarray(0, n * kvDim)), start * kvDim);
      values.set(round(v.subarray(0, n * kvDim)), start * kvDim);
    },
    attend(out, q, n, start, heads, scale) {
      checkRows(start, n, capacity);
      backend.attention(out, q, keys, values, n, start, heads, kvHeads, headDim, scale);
    },
    free() {
      backend.free(keys);
      backend.free(values);
    },
  };
}

/** Fails unless positions start..start+n-1 lie in a cache of `capacity`. */
export function checkRows(start: number, n: number, capacity: number): void {
  if (!Number.isInteger(start) || !Number.isInteger(n) || start < 0 || n < 0 || start + n > capacity) {
    fail('BAD_ARGUMENT', `KV cache rows ${start}..${start + n - 1} are outside its ${capacity} positions`);
  }
}
