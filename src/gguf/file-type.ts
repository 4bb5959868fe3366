import { GGMLType } from '../tensor/ggml-type.js';

/** llama.cpp's names for the values of general.file_type (`llama_ftype`), as its loader prints them. */
const FILE_TYPE_NAMES: ReadonlyMap<number, string> = new Map([
  [0, 'all F32'],
  [1, 'F16'],
  [2, 'Q4_0'],
  [3, 'Q4_1'],
  [7, 'Q8_0'],
  [8, 'Q5_0'],
  [9, 'Q5_1'],
  [10, 'Q2_K - Medium'],
  [11, 'Q3_K - Small'],
  [12, 'Q3_K - Medium'],
  [13, 'Q3_K - Large'],
  [14, 'Q4_K - Small'],
  [15, 'Q4_K - Medium'],
  [16, 'Q5_K - Small'],
  [17, 'Q5_K - Medium'],
  [18, 'Q6_K'],
  [19, 'IQ2_XXS - 2.0625 bpw'],
  [20, 'IQ2_XS - 2.3125 bpw'],
  [21, 'Q2_K - Small'],
  [22, 'IQ3_XS - 3.3 bpw'],
  [23, 'IQ3_XXS - 3.0625 bpw'],
  [24, 'IQ1_S - 1.5625 bpw'],
  [25, 'IQ4_NL - 4.5 bpw'],
  [26, 'IQ3_S - 3.4375 bpw'],
  [27, 'IQ3_S mix - 3.66 bpw'],
  [28, 'IQ2_S - 2.5 bpw'],
  [29, 'IQ2_M - 2.7 bpw'],
  [30, 'IQ4_XS - 4.25 bpw'],
  [31, 'IQ1_M - 1.75 bpw'],
  [32, 'BF16'],
  [36, 'TQ1_0 - 1.69 bpw ternary'],
  [37, 'TQ2_0 - 2.06 bpw ternary'],
]);

/** The file type llama.cpp assumes when a file has no general.file_type: the one of its most common tensor type. */
const GUESSED_FROM_TYPE: ReadonlyMap<GGMLType, number> = new Map([
  [GGMLType.F32, 0],
  [GGMLType.F16, 1],
  [GGMLType.BF16, 32],
  [GGMLType.Q4_0, 2],
  [GGMLType.Q4_1, 3],
  [GGMLType.Q5_0, 8],
  [GGMLType.Q5_1, 9],
  [GGMLType.Q8_0, 7],
  [GGMLType.Q2_K, 10],
  [GGMLType.Q3_K, 12],
  [GGMLType.Q4_K, 15],
  [GGMLType.Q5_K, 17],
  [GGMLType.Q6_K, 18],
  [GGMLType.TQ1_0, 36],
  [GGMLType.TQ2_0, 37],
  [GGMLType.IQ2_XXS, 19],
  [GGMLType.IQ2_XS, 20],
  [GGMLType.IQ2_S, 28],
  [GGMLType.IQ3_XXS, 23],
  [GGMLType.IQ1_S, 24],
  [GGMLType.IQ1_M, 31],
  [GGMLType.IQ4_NL, 25],
  [GGMLType.IQ4_XS, 30],
  [GGMLType.IQ3_S, 26],
]);

export function fileTypeName(fileType: number): string {
  return FILE_TYPE_NAMES.get(fileType) ?? 'unknown, may not work';
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
  return `${fileTypeName(GUESSED_FROM_TYPE.get(most) ?? 0)} (guessed)`;
}
