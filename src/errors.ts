/**
 * Every failure the engine reports on purpose is a RealizarError: a one-line message a user can act on,
 * and a stable code that tests and the server can branch on without matching text.
 */
export type ErrorCode =
  | 'BAD_FILE' // a model/tokenizer file is truncated, corrupt or inconsistent
  | 'UNSUPPORTED' // a valid file using something we do not implement (tensor type, architecture, version)
  | 'MISSING' // a required key, tensor or file is absent
  | 'BAD_ARGUMENT' // a caller passed something invalid (shape, option, prompt too long)
  | 'ABORTED'; // the caller cancelled

export class RealizarError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = 'RealizarError';
    this.code = code;
  }
}

export function fail(code: ErrorCode, message: string): never {
  throw new RealizarError(code, message);
}
