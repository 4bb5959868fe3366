import { fail } from '../errors.js';
import type { GenerateOptions, GenerationChunk, GenerationResult } from '../generate/types.js';
import { ApiError, badRequest } from './api-error.js';
import type { ServedModel } from './engine.js';
import type { ServerMetrics } from './metrics.js';
import { SlotQueue } from './queue.js';

export interface GenerationLimits {
  /** Generations that run at once. */
  readonly parallel: number;
  /** Requests that may wait for a slot before the server answers 429. */
  readonly queueSize: number;
}

/** One admitted generation: iterate it once; it gives its slot back however it ends. */
export type Generation = AsyncGenerator<GenerationChunk, GenerationResult, undefined>;

/**
 * Runs generations on the loaded model for every endpoint alike: admission through the slot queue,
 * the token metrics, and cancellation (a client leaving, or the server shutting down).
 */
export class GenerationService {
  private readonly queue: SlotQueue;
  private readonly running = new Set<AbortController>();

  constructor(
    readonly model: ServedModel,
    private readonly metrics: ServerMetrics,
    limits: GenerationLimits,
  ) {
    this.queue = new SlotQueue(limits.parallel, limits.queueSize, () => {
      metrics.queueDepth.set(this.queue.queued);
      metrics.inFlight.set(this.queue.active);
    });
  }

  /**
   * Token ids of a text prompt, refused when they leave no room to generate in the context. Chat
   * prompts parse control tokens (the template writes them); a template that already wrote BOS gets no second one.
   */
  tokenize(text: string, param: string, options: { parseSpecial: boolean }): number[] {
    const { tokenizer } = this.model;
    const bosText = tokenizer.bosId === undefined ? undefined : tokenizer.tokenText(tokenizer.bosId);
    const templateWroteBos = options.parseSpecial && bosText !== undefined && bosText !== '' && text.startsWith(bosText);
    const ids = tokenizer.encode(text, { parseSpecial: options.parseSpecial, ...(templateWroteBos ? { addBos: false } : {}) });
    this.checkFits(ids, param);
    return ids;
  }

  checkFits(ids: readonly number[], param: string): void {
    const limit = this.model.contextLength;
    if (ids.length >= limit) {
      throw new ApiError(
        400,
        'invalid_request_error',
        'context_length_exceeded',
        `the prompt is ${ids.length} tokens but the context holds ${limit} (prompt and completion together); shorten it or restart the server with a larger --ctx`,
        param,
      );
    }
    if (ids.length === 0) throw badRequest('empty_prompt', 'the prompt is empty; send at least one token', param);
  }

  /**
   * Waits for a slot (429 when the queue is full) and returns the generation, not yet started.
   * `signal` must abort when the request ends, however it ends: it cancels the generation while queued
   * or running and frees the slot of one never started. `arrivedAt` (performance.now()) dates time-to-first-token.
   */
  async admit(prompt: readonly number[], options: GenerateOptions, signal: AbortSignal, arrivedAt: number): Promise<Generation> {
    const room = this.model.contextLength - prompt.length;
    // Clients send max_tokens without knowing a local model's context (chat UIs default to thousands):
    // as llama-server and Ollama, a longer ask is cut to what fits and the reply ends with 'length'.
    if (options.maxTokens !== undefined && options.maxTokens > room) options = { ...options, maxTokens: room };
    const pending = this.queue.acquire(signal);
    if (pending === null) {
      throw new ApiError(429, 'rate_limit_error', 'queue_full', 'the server is busy: every generation slot is taken and the queue is full; retry shortly');
    }
    const release = await pending.catch(() => fail('ABORTED', 'the request was cancelled while it waited for a generation slot'));
    // A generation never iterated (its request ended before the stream began) never reaches run's
    // finally: until it starts, the request's end gives the slot back.
    signal.addEventListener('abort', release, { once: true });
    if (signal.aborted) release();
    return this.run(prompt, options, signal, arrivedAt, release);
  }

  /** Cancels every running generation (shutdown); queued requests end as their connections close. */
  abortAll(): void {
    for (const controller of this.running) controller.abort(new Error('the server is shutting down'));
  }

  private async *run(prompt: readonly number[], options: GenerateOptions, signal: AbortSignal, arrivedAt: number, release: () => void): Generation {
    // Started: from here on the finally below gives the slot back, once the model has stopped.
    signal.removeEventListener('abort', release);
    const controller = new AbortController();
    const forward = () => controller.abort(signal.reason);
    signal.addEventListener('abort', forward, { once: true });
    this.running.add(controller);
    let last = arrivedAt;
    let first = true;
    let steps: Generation | undefined;
    try {
      if (signal.aborted) controller.abort(signal.reason);
      this.metrics.promptTokens.inc(prompt.length);
      steps = this.model.generate(prompt, { ...options, signal: controller.signal });
      for (;;) {
        const step = await steps.next();
        if (step.done) return step.value;
        const now = performance.now();
        if (first) this.metrics.timeToFirstToken.observe((now - arrivedAt) / 1000);
        else this.metrics.timePerToken.observe((now - last) / 1000);
        first = false;
        last = now;
        if (!this.model.tokenizer.isEndOfGeneration(step.value.tokenId)) this.metrics.generatedTokens.inc();
        yield step.value;
      }
    } finally {
      signal.removeEventListener('abort', forward);
      this.running.delete(controller);
      // Leaving early (client gone, consumer stopped) must stop the model's work, not just ours.
      controller.abort(new Error('generation ended'));
      await steps?.return(undefined as never).catch(() => undefined);
      release();
    }
  }
}
