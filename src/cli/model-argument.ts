import { fail } from '../errors.js';

/**
 * The model a command works on, given either as its first argument (as `ollama run <model>`) or with -m (as
 * llama.cpp's tools take it): exactly one of the two.
 */
export function modelPath(argument: string | undefined, flag: string | undefined): string {
  if (argument !== undefined && flag !== undefined) {
    fail('BAD_ARGUMENT', `two models given ('${flag}' with -m and '${argument}' as an argument); pass one`);
  }
  const path = argument ?? flag;
  if (path === undefined) fail('BAD_ARGUMENT', 'no model given; pass a .gguf file or a Hugging Face folder, as the first argument or with -m');
  return path;
}
