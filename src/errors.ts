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

const SYSTEM_ERRORS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file or directory; check the path',
  EACCES: 'permission denied; check the file permissions',
  EPERM: 'operation not permitted; check the file permissions',
  EISDIR: 'it is a directory; pass a file',
  ENOTDIR: 'a part of the path is not a directory; check the path',
  EMFILE: 'too many open files; close some or raise the limit (ulimit -n)',
};

/** An operating-system error as words a user can act on, its code kept for scripts: "no such file ... (ENOENT)". */
export function systemErrorText(e: unknown): string {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (code === undefined) return String(e);
  return `${SYSTEM_ERRORS[code] ?? 'system error'} (${code})`;
}
