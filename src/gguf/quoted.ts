/**
 * A name or value read from a file, made fit for a one-line error message: quoted, control characters
 * escaped, and cut short, because a corrupt length can turn a key into megabytes of binary.
 */
export function quoted(text: string, max = 80): string {
  const short = text.length > max ? `${text.slice(0, max)}...` : text;
  return `'${short.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}'`;
}
