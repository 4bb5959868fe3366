import { GGMLType } from '../tensor/ggml-type.js';

/** llama.cpp's `llama_ftype`: the value of general.file_type, naming a whole file's quantization mix. */
export enum FileType {
  ALL_F32 = 0,
  MOSTLY_F16 = 1,
  MOSTLY_Q4_0 = 2,
  MOSTLY_Q4_1 = 3,
  MOSTLY_Q8_0 = 7,
  MOSTLY_Q5_0 = 8,
  MOSTLY_Q5_1 = 9,
  MOSTLY_Q2_K = 10,
  MOSTLY_Q3_K_S = 11,
  MOSTLY_Q3_K_M = 12,
  MOSTLY_Q3_K_L = 13,
  MOSTLY_Q4_K_S = 14,
  MOSTLY_Q4_K_M = 15,
  MOSTLY_Q5_K_S = 16,
  MOSTLY_Q5_K_M = 17,
  MOSTLY_Q6_K = 18,
  MOSTLY_IQ2_XXS = 19,
  MOSTLY_IQ2_XS = 20,
  MOSTLY_Q2_K_S = 21,
  MOSTLY_IQ3_XS = 22,
  MOSTLY_IQ3_XXS = 23,
  MOSTLY_IQ1_S = 24,
  MOSTLY_IQ4_NL = 25,
  MOSTLY_IQ3_S = 26,
  MOSTLY_IQ3_M = 27,
  MOSTLY_IQ2_S = 28,
  MOSTLY_IQ2_M = 29,
  MOSTLY_IQ4_XS = 30,
  MOSTLY_IQ1_M = 31,
  MOSTLY_BF16 = 32,
  MOSTLY_TQ1_0 = 36,
  MOSTLY_TQ2_0 = 37,
}

/** The name llama.cpp's loader prints for each file type. */
const NAMES: ReadonlyMap<number, string> = new Map([
  [FileType.ALL_F32, 'all F32'],
  [FileType.MOSTLY_F16, 'F16'],
  [FileType.MOSTLY_Q4_0, 'Q4_0'],
  [FileType.MOSTLY_Q4_1, 'Q4_1'],
  [FileType.MOSTLY_Q8_0, 'Q8_0'],
  [FileType.MOSTLY_Q5_0, 'Q5_0'],
  [FileType.MOSTLY_Q5_1, 'Q5_1'],
  [FileType.MOSTLY_Q2_K, 'Q2_K - Medium'],
  [FileType.MOSTLY_Q3_K_S, 'Q3_K - Small'],
  [FileType.MOSTLY_Q3_K_M, 'Q3_K - Medium'],
  [FileType.MOSTLY_Q3_K_L, 'Q3_K - Large'],
  [FileType.MOSTLY_Q4_K_S, 'Q4_K - Small'],
  [FileType.MOSTLY_Q4_K_M, 'Q4_K - Medium'],
  [FileType.MOSTLY_Q5_K_S, 'Q5_K - Small'],
  [FileType.MOSTLY_Q5_K_M, 'Q5_K - Medium'],
  [FileType.MOSTLY_Q6_K, 'Q6_K'],
  [FileType.MOSTLY_IQ2_XXS, 'IQ2_XXS - 2.0625 bpw'],
  [FileType.MOSTLY_IQ2_XS, 'IQ2_XS - 2.3125 bpw'],
  [FileType.MOSTLY_Q2_K_S, 'Q2_K - Small'],
  [FileType.MOSTLY_IQ3_XS, 'IQ3_XS - 3.3 bpw'],
  [FileType.MOSTLY_IQ3_XXS, 'IQ3_XXS - 3.0625 bpw'],
  [FileType.MOSTLY_IQ1_S, 'IQ1_S - 1.5625 bpw'],
  [FileType.MOSTLY_IQ4_NL, 'IQ4_NL - 4.5 bpw'],
  [FileType.MOSTLY_IQ3_S, 'IQ3_S - 3.4375 bpw'],
  [FileType.MOSTLY_IQ3_M, 'IQ3_S mix - 3.66 bpw'],
  [FileType.MOSTLY_IQ2_S, 'IQ2_S - 2.5 bpw'],
  [FileType.MOSTLY_IQ2_M, 'IQ2_M - 2.7 bpw'],
  [FileType.MOSTLY_IQ4_XS, 'IQ4_XS - 4.25 bpw'],
  [FileType.MOSTLY_IQ1_M, 'IQ1_M - 1.75 bpw'],
  [FileType.MOSTLY_BF16, 'BF16'],
  [FileType.MOSTLY_TQ1_0, 'TQ1_0 - 1.69 bpw ternary'],
  [FileType.MOSTLY_TQ2_0, 'TQ2_0 - 2.06 bpw ternary'],
]);

/** The file type llama.cpp assumes when a file has no general.file_type: the one of its most common tensor type. */
const GUESSED_FROM_TYPE: ReadonlyMap<GGMLType, FileType> = new Map([
  [GGMLType.F32, FileType.ALL_F32],
  [GGMLType.F16, FileType.MOSTLY_F16],
  [GGMLType.BF16, FileType.MOSTLY_BF16],
  [GGMLType.Q4_0, FileType.MOSTLY_Q4_0],
  [GGMLType.Q4_1, FileType.MOSTLY_Q4_1],
  [GGMLType.Q5_0, FileType.MOSTLY_Q5_0],
  [GGMLType.Q5_1, FileType.MOSTLY_Q5_1],
  [GGMLType.Q8_0, FileType.MOSTLY_Q8_0],
  [GGMLType.Q2_K, FileType.MOSTLY_Q2_K],
  [GGMLType.Q3_K, FileType.MOSTLY_Q3_K_M],
  [GGMLType.Q4_K, FileType.MOSTLY_Q4_K_M],
  [GGMLType.Q5_K, FileType.MOSTLY_Q5_K_M],
  [GGMLType.Q6_K, FileType.MOSTLY_Q6_K],
  [GGMLType.TQ1_0, FileType.MOSTLY_TQ1_0],
  [GGMLType.TQ2_0, FileType.MOSTLY_TQ2_0],
  [GGMLType.IQ2_XXS, FileType.MOSTLY_IQ2_XXS],
  [GGMLType.IQ2_XS, FileType.MOSTLY_IQ2_XS],
  [GGMLType.IQ2_S, FileType.MOSTLY_IQ2_S],
  [GGMLType.IQ3_XXS, FileType.MOSTLY_IQ3_XXS],
  [GGMLType.IQ1_S, FileType.MOSTLY_IQ1_S],
  [GGMLType.IQ1_M, FileType.MOSTLY_IQ1_M],
  [GGMLType.IQ4_NL, FileType.MOSTLY_IQ4_NL],
  [GGMLType.IQ4_XS, FileType.MOSTLY_IQ4_XS],
  [GGMLType.IQ3_S, FileType.MOSTLY_IQ3_S],
]);

export function fileTypeName(fileType: number): string {
  return NAMES.get(fileType) ?? 'unknown, may not work';
}

/**
 * What llama.cpp calls a file without general.file_type: the type most of its tensors have (the first to reach
 * the highest count, tensors taken in name order as llama.cpp's map holds them), marked "(guessed)".
 */
export function guessedFileTypeName(tensors: readonly { readonly name: string; readonly type: GGMLType }[]): string {
  const counts = new Map<GGMLType, number>();
  let most = GGMLType.F32;
  let mostCount = 0;
  for (const t of [...tensors].sort((a, b) => Buffer.compare(Buffer.from(a.name), Buffer.from(b.name)))) {
    const n = (counts.get(t.type) ?? 0) + 1;
    counts.set(t.type, n);
    if (n > mostCount) {
      mostCount = n;
      most = t.type;
    }
  }
  return `${fileTypeName(GUESSED_FROM_TYPE.get(most) ?? FileType.ALL_F32)} (guessed)`;
}
