import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * The server's Prometheus metrics, in a registry of its own (not prom-client's global one) so that
 * several servers in one process, as in tests, never share counts.
 */
export class ServerMetrics {
  readonly registry = new Registry();

  readonly requests = new Counter({
    name: 'realizar_requests_total',
    help: 'HTTP requests answered, by endpoint and status (499: the client went away first)',
    labelNames: ['endpoint', 'status'] as const,
    registers: [this.registry],
  });
  readonly promptTokens = new Counter({
    name: 'realizar_prompt_tokens_total',
    help: 'Prompt tokens evaluated',
    registers: [this.registry],
  });
  readonly generatedTokens = new Counter({
    name: 'realizar_generated_tokens_total',
    help: 'Tokens generated',
    registers: [this.registry],
  });
  readonly timeToFirstToken = new Histogram({
    name: 'realizar_time_to_first_token_seconds',
    help: 'From request arrival (queueing included) to the first generated token',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  readonly timePerToken = new Histogram({
    name: 'realizar_time_per_output_token_seconds',
    help: 'Time between consecutive generated tokens',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [this.registry],
  });
  readonly queueDepth = new Gauge({
    name: 'realizar_queue_depth',
    help: 'Generation requests waiting for a free slot',
    registers: [this.registry],
  });
  readonly inFlight = new Gauge({
    name: 'realizar_requests_in_flight',
    help: 'Generations running now',
    registers: [this.registry],
  });
  readonly modelLoadSeconds = new Gauge({
    name: 'realizar_model_load_seconds',
    help: 'Time the model took to load',
    registers: [this.registry],
  });
}
