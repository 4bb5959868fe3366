const encoder = new TextEncoder();

/** UTF-8 bytes of a string; a lone surrogate becomes U+FFFD, as any UTF-8 encoder must do. */
export function utf8Bytes(text: string): Uint8Array {
  return encoder.encode(text);
}

/**
 * Replaces lone UTF-16 surrogates with U+FFFD. JS strings can hold them but UTF-8 cannot; llama.cpp sees the
 * same text as U+FFFD after its UTF-8 decoding, so doing it up front keeps every later stage well-formed.
 */
export function wellFormed(text: string): string {
  return text.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
}

/** Whole code points of a string, each as its own string. */
export function codePoints(text: string): string[] {
  return Array.from(text);
}
