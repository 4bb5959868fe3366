import { readFileSync } from 'node:fs';
import { fail, systemErrorText } from '../errors.js';
import { endOfGenerationIds } from './end-of-generation.js';
import { SentencePieceBpe, SPACE_MARK, spacedPieces } from './spm.js';
import { TextTokenizer } from './text-tokenizer.js';
import { Unigram } from './unigram.js';
import { TokenType, Vocab } from './vocab.js';

/** Protocol-buffer wire reader: just what sentencepiece_model.proto needs. */
class Wire {
  pos = 0;

  constructor(
    private readonly buf: Uint8Array,
    private readonly path: string,
    private readonly end = buf.length,
  ) {}

  get done(): boolean {
    return this.pos >= this.end;
  }

  varint(): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) fail('BAD_FILE', `${this.path}: truncated SentencePiece model (varint at byte ${this.pos})`);
      const b = this.buf[this.pos++]!;
      result += (b & 0x7f) * scale;
      if (b < 0x80) return result;
      scale *= 128;
    }
    return fail('BAD_FILE', `${this.path}: bad varint at byte ${this.pos}`);
  }

  /** A length-delimited field's bytes, as a sub-reader. */
  sub(): Wire {
    const len = this.varint();
    if (this.pos + len > this.end) fail('BAD_FILE', `${this.path}: field of ${len} bytes at ${this.pos} runs past its message`);
    const w = new Wire(this.buf, this.path, this.pos + len);
    w.pos = this.pos;
    this.pos += len;
    return w;
  }

  bytes(): Uint8Array {
    const w = this.sub();
    return this.buf.subarray(w.pos, w.end);
  }

  float(): number {
    if (this.pos + 4 > this.end) fail('BAD_FILE', `${this.path}: truncated float at byte ${this.pos}`);
    const v = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 4).getFloat32(0, true);
    this.pos += 4;
    return v;
  }

  skip(wireType: number): void {
    switch (wireType) {
      case 0:
        this.varint();
        break;
      case 1:
        this.pos += 8;
        break;
      case 2:
        this.sub();
        break;
      case 5:
        this.pos += 4;
        break;
      default:
        fail('BAD_FILE', `${this.path}: unsupported protobuf wire type ${wireType} at byte ${this.pos}`);
    }
  }

  /** Calls `field(number, wireType)` for each field; the callback reads it or returns false to skip it. */
  fields(field: (num: number, wireType: number) => boolean): void {
    while (!this.done) {
      const key = this.varint();
      if (!field(Math.floor(key / 8), key & 7)) this.skip(key & 7);
    }
  }
}

const text = new TextDecoder();

/** The parts of a SentencePiece ModelProto a tokenizer needs. */
interface SentencePieceModel {
  pieces: string[];
  scores: number[];
  types: TokenType[];
  /** TrainerSpec.model_type: 1 unigram, 2 BPE. */
  modelType: number;
  unkId: number;
  bosId: number;
  eosId: number;
  addDummyPrefix: boolean;
  removeExtraWhitespaces: boolean;
  charsmapBytes: number;
}

function parseModel(buf: Uint8Array, path: string): SentencePieceModel {
  // Defaults are the proto's.
  const m: SentencePieceModel = {
    pieces: [],
    scores: [],
    types: [],
    modelType: 1,
    unkId: 0,
    bosId: 1,
    eosId: 2,
    addDummyPrefix: true,
    removeExtraWhitespaces: true,
    charsmapBytes: 0,
  };
  const top = new Wire(buf, path);
  top.fields((num, wt) => {
    if (wt !== 2) return false;
    const sub = top.sub();
    if (num === 1) {
      let piece = '';
      let score = 0;
      let type = TokenType.NORMAL;
      sub.fields((n, t) => {
        if (n === 1 && t === 2) piece = text.decode(sub.bytes());
        else if (n === 2 && t === 5) score = sub.float();
        else if (n === 3 && t === 0) type = sub.varint() as TokenType;
        else return false;
        return true;
      });
      m.pieces.push(piece);
      m.scores.push(score);
      m.types.push(type);
    } else if (num === 2) {
      sub.fields((n, t) => {
        if (t !== 0) return false;
        const v = sub.varint();
        if (n === 3) m.modelType = v;
        else if (n === 40) m.unkId = v;
        else if (n === 41) m.bosId = v;
        else if (n === 42) m.eosId = v;
        return true;
      });
    } else if (num === 3) {
      sub.fields((n, t) => {
        if (n === 2 && t === 2) m.charsmapBytes = sub.bytes().length;
        else if (n === 3 && t === 0) m.addDummyPrefix = sub.varint() !== 0;
        else if (n === 4 && t === 0) m.removeExtraWhitespaces = sub.varint() !== 0;
        else return false;
        return true;
      });
    }
    return true;
  });
  return m;
}

/**
 * A SentencePiece model file (tokenizer.model of Llama 2, Mistral, ...): BPE models run the llama.cpp
 * SentencePiece-BPE, Unigram models the Viterbi search. Models that normalize through a compiled charsmap
 * (T5-style) are refused rather than tokenized differently.
 */
export function tokenizerFromSentencePiece(path: string): TextTokenizer {
  let buf: Uint8Array;
  try {
    buf = readFileSync(path);
  } catch (e) {
    return fail('MISSING', `cannot read ${path}: ${systemErrorText(e)}`);
  }
  const m = parseModel(buf, path);
  if (m.pieces.length === 0) fail('BAD_FILE', `${path}: no pieces: not a SentencePiece model`);
  if (m.modelType !== 1 && m.modelType !== 2) fail('UNSUPPORTED', `${path}: SentencePiece model type ${m.modelType} (only 1 unigram and 2 BPE)`);
  if (m.charsmapBytes > 0) fail('UNSUPPORTED', `${path}: SentencePiece normalization charsmap (${m.charsmapBytes} bytes) is not supported`);
  const vocab = new Vocab(m.pieces, m.types, Float32Array.from(m.scores), path);
  const id = (i: number) => (i >= 0 && i < vocab.size ? i : undefined);
  const unkId = id(m.unkId);
  let encodeEscaped: (escaped: string, out: number[]) => void;
  if (m.modelType === 2) {
    const bpe = new SentencePieceBpe(vocab, unkId);
    encodeEscaped = (t, out) => bpe.encode(t, out);
  } else {
    if (unkId === undefined) fail('BAD_FILE', `${path}: unigram model without an unknown piece`);
    const unigram = new Unigram(vocab, unkId);
    encodeEscaped = (t, out) => unigram.encode(t.replaceAll(' ', SPACE_MARK), out);
  }
  const bosId = id(m.bosId);
  const eosId = id(m.eosId);
  return new TextTokenizer({
    kind: m.modelType === 2 ? 'spm' : 'unigram',
    vocab,
    pieces: spacedPieces(vocab),
    bosId,
    eosId,
    addBos: bosId !== undefined,
    addEos: false,
    eogIds: endOfGenerationIds((t) => vocab.id(t), [eosId]),
    stripLeadingSpace: m.addDummyPrefix,
    encodeText: (raw, out, at) => {
      const t = m.removeExtraWhitespaces ? raw.replace(/ +/g, ' ').trim() : raw;
      encodeEscaped(m.addDummyPrefix && at.first ? ` ${t}` : t, out);
    },
  });
}
