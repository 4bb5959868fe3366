/*
 * Hugging Face llama checkpoints order the rows of each attention head's Q and K projections for
 * "rotate-half" rope: a head's first half of rows pairs with its second half (dimension i with
 * i + headDim/2). GGUF's llama architecture uses ggml's normal rope, which pairs adjacent rows
 * (2i with 2i+1), so llama.cpp's converter reorders the rows of q_proj and k_proj (and their biases)
 * once, at conversion. This is the only place we do the same, for every path from a Hugging Face
 * folder (loading it, converting it). qwen2 in GGUF keeps the NeoX (rotate-half) rope and is not permuted.
 *
 * Within each head of headDim rows, GGUF row 2i + j is Hugging Face row j * headDim/2 + i (j in {0, 1}):
 * llama.cpp's convert_hf_to_gguf.py `LlamaModel.permute`, reshape(heads, 2, headDim/2).swapaxes(1, 2).
 */

/**
 * Reorders the rows of a [rows × rowBytes] tensor (a Q/K weight, or a bias with rowBytes = element size)
 * from Hugging Face's rotate-half layout into GGUF's interleaved one; `heads` is the head count of that
 * projection (attention heads for Q, key/value heads for K).
 */
export function permuteRotateHalfToInterleaved(src: Uint8Array, rows: number, heads: number): Uint8Array {
  const rowBytes = src.byteLength / rows;
  const headDim = rows / heads;
  const half = headDim / 2;
  const out = new Uint8Array(src.byteLength);
  for (let h = 0; h < heads; h++) {
    const base = h * headDim;
    for (let i = 0; i < half; i++) {
      for (let j = 0; j < 2; j++) {
        const from = (base + j * half + i) * rowBytes;
        out.set(src.subarray(from, from + rowBytes), (base + 2 * i + j) * rowBytes);
      }
    }
  }
  return out;
}
