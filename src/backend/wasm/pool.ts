import { Worker } from 'node:worker_threads';
import { fail } from '../../errors.js';
import type { SharedHeap } from './heap.js';
import type { KernelExports } from './kernels.js';
import { waitWhileEqual } from './sync.js';
import { CTRL_INTS, Ctrl, Op, runShare } from './tasks.js';
import type { WorkerInit } from './worker.js';

/** Spin iterations before sleeping on a futex: ~10 µs, a fraction of one layer's matrix product. */
const SPINS = 4000;

/**
 * A persistent team of worker threads sharing the kernels' memory. A job is posted by writing the control
 * block and bumping its epoch (no messages, no copies); the calling thread computes share 0 itself and waits
 * on the `pending` counter, so every job is synchronous for the caller.
 */
export class WorkerPool {
  private readonly workers: Worker[] = [];
  private readonly ctrl: Int32Array;
  private readonly ctrlF32: Float32Array;
  private disposed = false;

  constructor(
    private readonly kernels: KernelExports,
    module: WebAssembly.Module,
    heap: SharedHeap,
    readonly threads: number,
    halfTableAt: number,
  ) {
    const ctrlAt = heap.allocate(CTRL_INTS * 4, 'the thread control block');
    this.ctrl = new Int32Array(heap.buffer, ctrlAt, CTRL_INTS);
    this.ctrlF32 = new Float32Array(heap.buffer, ctrlAt, CTRL_INTS);
    for (let tid = 1; tid < threads; tid++) {
      const init: WorkerInit = { module, memory: heap.memory, ctrlAt, halfTableAt, tid, threads, spins: SPINS };
      const w = new Worker(new URL('./worker.js', import.meta.url), { workerData: init });
      w.unref(); // an idle pool never keeps the process alive
      this.workers.push(w);
    }
  }

  /** Argument slots of the next job (integers; an address is stored as its low 32 bits). */
  get args(): Int32Array {
    return this.ctrl.subarray(Ctrl.args);
  }

  get argsF32(): Float32Array {
    return this.ctrlF32.subarray(Ctrl.args);
  }

  /**
   * Runs the job whose arguments are in `args` and returns when it is done: on every thread, this one included,
   * or on this thread alone when `parallel` is false (jobs too small to be worth a wake-up).
   */
  run(op: Op, parallel = true): void {
    if (this.disposed) fail('BAD_ARGUMENT', 'wasm backend used after dispose()');
    const ctrl = this.ctrl;
    ctrl[Ctrl.op] = op;
    ctrl[Ctrl.failed] = 0;
    const helpers = parallel ? this.workers.length : 0;
    if (helpers > 0) {
      Atomics.store(ctrl, Ctrl.pending, helpers);
      Atomics.add(ctrl, Ctrl.epoch, 1);
      Atomics.notify(ctrl, Ctrl.epoch);
    }
    let error: unknown;
    try {
      runShare(this.kernels, ctrl, this.ctrlF32, 0, helpers + 1);
    } catch (e) {
      error = e;
    }
    // Even when our share failed, the others are still writing into the shared memory: wait for them.
    let left = Atomics.load(ctrl, Ctrl.pending);
    while (helpers > 0 && left !== 0) left = waitWhileEqual(ctrl, Ctrl.pending, left, SPINS);
    if (error !== undefined || ctrl[Ctrl.failed] !== 0) {
      fail('BAD_ARGUMENT', `wasm kernel trapped: ${error instanceof Error ? error.message : 'in a worker thread'}`);
    }
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.ctrl[Ctrl.op] = Op.Exit;
    Atomics.add(this.ctrl, Ctrl.epoch, 1);
    Atomics.notify(this.ctrl, Ctrl.epoch);
    for (const w of this.workers) void w.terminate();
  }
}
