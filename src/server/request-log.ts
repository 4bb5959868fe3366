export type LogFormat = 'text' | 'json';

/** What one request did, logged once it is over. */
export interface RequestRecord {
  readonly method: string;
  readonly path: string;
  /** 499 when the client went away before the response was complete. */
  readonly status: number;
  readonly promptTokens: number;
  readonly completionTokens: number;
  readonly ms: number;
}

export function formatRequestLine(record: RequestRecord, format: LogFormat, now = new Date()): string {
  const ms = Math.round(record.ms * 10) / 10;
  if (format === 'json') {
    return JSON.stringify({
      time: now.toISOString(),
      method: record.method,
      path: record.path,
      status: record.status,
      prompt_tokens: record.promptTokens,
      completion_tokens: record.completionTokens,
      ms,
    });
  }
  return `${now.toISOString()} ${record.method} ${record.path} ${record.status} tokens=${record.promptTokens}+${record.completionTokens} ${ms}ms`;
}
