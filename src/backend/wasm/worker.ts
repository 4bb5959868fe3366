import { workerData } from 'node:worker_threads';
import type { KernelExports } from './kernels.js';
import { waitWhileEqual } from './sync.js';
import { CTRL_INTS, Ctrl, Op, runShare } from './tasks.js';

/** What the pool hands each worker: the compiled kernels, the shared memory, where the control block is. */
export interface WorkerInit {
  readonly module: WebAssembly.Module;
  readonly memory: WebAssembly.Memory;
  readonly ctrlAt: number;
  /** The f16 table the first instance filled; this one only points at it. */
  readonly halfTableAt: number;
  readonly tid: number;
  readonly threads: number;
  readonly spins: number;
}

const init = workerData as WorkerInit;
const kernels = new WebAssembly.Instance(init.module, { env: { memory: init.memory } }).exports as unknown as KernelExports;
kernels.useHalfTable(init.halfTableAt, 0);
const ctrl = new Int32Array(init.memory.buffer, init.ctrlAt, CTRL_INTS);
const ctrlF32 = new Float32Array(init.memory.buffer, init.ctrlAt, CTRL_INTS);

// The pool starts workers before any job, at epoch 0; a job posted before this thread got here is still seen.
let epoch = 0;
for (;;) {
  epoch = waitWhileEqual(ctrl, Ctrl.epoch, epoch, init.spins);
  if (ctrl[Ctrl.op] === Op.Exit) break;
  try {
    runShare(kernels, ctrl, ctrlF32, init.tid, init.threads);
  } catch {
    // A trap must not leave the caller waiting: it is reported through the control block.
    Atomics.store(ctrl, Ctrl.failed, 1);
  }
  if (Atomics.sub(ctrl, Ctrl.pending, 1) === 1) Atomics.notify(ctrl, Ctrl.pending);
}
