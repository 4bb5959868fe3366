/**
 * GPT-2's byte-level alphabet: every byte maps to a printable code point (printable Latin-1 bytes to
 * themselves, the rest to U+0100 and up, in byte order), so that byte strings can be BPE-merged as text.
 */
const BYTE_TO_CHAR: readonly string[] = (() => {
  const chars: string[] = new Array(256);
  let extra = 0;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
    chars[b] = String.fromCodePoint(printable ? b : 256 + extra++);
  }
  return chars;
})();

const CHAR_TO_BYTE: ReadonlyMap<string, number> = new Map(BYTE_TO_CHAR.map((c, b) => [c, b]));

const encoder = new TextEncoder();

/** UTF-8 bytes as byte-level text: each byte written as its character. */
export function byteLevelEncode(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += BYTE_TO_CHAR[b];
  return s;
}

/**
 * Bytes of a byte-level token text. Characters outside the alphabet (added tokens written in plain text)
 * keep their own UTF-8 encoding.
 */
export function byteLevelDecode(text: string): Uint8Array {
  const out = new Uint8Array(text.length * 3);
  let n = 0;
  for (const c of text) {
    const b = CHAR_TO_BYTE.get(c);
    if (b !== undefined) out[n++] = b;
    else {
      const { written } = encoder.encodeInto(c, out.subarray(n));
      n += written;
    }
  }
  return out.slice(0, n);
}
