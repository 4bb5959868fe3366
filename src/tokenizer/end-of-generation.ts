/** Texts that end generation wherever they appear in a vocabulary (llama.cpp's list). */
export const EOG_TEXTS: readonly string[] = ['<|eot_id|>', '<|im_end|>', '<|end|>', '<end_of_turn>', '<|endoftext|>', '<|eom_id|>', '<EOT>'];

/** Fill-in-the-middle pad/repo/separator tokens, which llama.cpp also treats as end of generation. */
export const FIM_EOG_TEXTS: readonly string[] = ['<|fim_pad|>', '<fim-pad>', '<PAD>', '<|fim_repo|>', '<|repo_name|>', '<fim-repo>', '<REPO>', '<|file_sep|>'];

/** Ids of every end-of-generation token: the given ones plus those found by text. */
export function endOfGenerationIds(idOf: (text: string) => number | undefined, known: readonly (number | undefined)[]): Set<number> {
  const ids = new Set<number>();
  for (const id of known) if (id !== undefined) ids.add(id);
  for (const t of [...EOG_TEXTS, ...FIM_EOG_TEXTS]) {
    const id = idOf(t);
    if (id !== undefined) ids.add(id);
  }
  return ids;
}
