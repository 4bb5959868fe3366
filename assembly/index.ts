// The kernel module: everything the wasm backend (src/backend/wasm/) calls. It owns no memory of its own use:
// the host places weights, activations and scratch in the shared memory and passes byte addresses.

export { quantizeRows } from './activation';
export { matmul } from './matmul';
export { rmsNorm } from './norm';
export { rope } from './rope';
export { swiglu, add, addBias } from './elementwise';
export { attention, attentionScratch, storeF16, widenF16 } from './attention';

/** First byte after the module's static data: the host's allocations start above it. */
export function heapBase(): usize {
  return __heap_base;
}
export { streamRead } from './bandwidth';
export { useHalfTable } from './f16';
export { interleaveRows, deinterleaveRow, x4BlockBytes } from './interleave';
export { q8_0HasMinus128, relaxedDotPair } from './x4-q8_0';
