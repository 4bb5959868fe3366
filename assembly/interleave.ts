import { Q4_0_X4_BLOCK, q4_0X4Offset } from './x4-q4_0';
import { Q8_0_X4_BLOCK, q8_0X4Offset } from './x4-q8_0';

// Interleaved ("x4") weight layouts: groups of 4 consecutive rows whose blocks are merged so that one v128 holds
// 4 bytes of each of the 4 rows, and integer dots land one row per i32 lane: no horizontal sum per block, and
// one scale multiply serves 4 rows. Each layout is a permutation of the 4 rows' bytes block by block (x4-*.ts
// say where each byte goes), so a matrix is rewritten in place and keeps its size.

/** Added to a ggml type id to name its interleaved layout (matmul.ts). */
export const X4: i32 = 256;

const Q4_0 = 2, Q8_0 = 8;

/** Bytes of one block of `type` in one row; 0 for a type without an interleaved layout. */
export function x4BlockBytes(type: i32): i32 {
  switch (type) {
    case Q4_0: return Q4_0_X4_BLOCK >> 2;
    case Q8_0: return Q8_0_X4_BLOCK >> 2;
    default: return 0;
  }
}

function offset(type: i32, r: i32, j: i32): i32 {
  switch (type) {
    case Q4_0: return q4_0X4Offset(r, j);
    case Q8_0: return q8_0X4Offset(r, j);
    default: unreachable();
  }
  return 0;
}

/**
 * Rewrites `rows` rows (a multiple of 4) of `rowBytes` each at `w` into the interleaved layout of `type`, a group
 * at a time through `tmp`, which holds 4·rowBytes + 8·blockBytes bytes.
 */
export function interleaveRows(type: i32, w: usize, rows: i32, rowBytes: usize, tmp: usize): void {
  const B = x4BlockBytes(type);
  const group = rowBytes << 2;
  const blocks = <i32>(rowBytes / <usize>B);
  // Where each byte of the 4 rows' blocks goes, as u16 offsets: one switch per byte would cost more than the move.
  const perm = tmp + group;
  for (let r = 0; r < 4; r++) for (let j = 0; j < B; j++) store<u16>(perm + (<usize>(r * B + j) << 1), <u16>offset(type, r, j));
  for (let g = 0; g < rows >> 2; g++) {
    const src = w + <usize>g * group;
    memory.copy(tmp, src, group);
    for (let blk = 0; blk < blocks; blk++) {
      const dst = src + <usize>blk * (<usize>B << 2);
      for (let r = 0; r < 4; r++) {
        const s = tmp + <usize>r * rowBytes + <usize>blk * B;
        const pr = perm + (<usize>(r * B) << 1);
        for (let j = 0; j < B; j++) store<u8>(dst + <usize>load<u16>(pr + (<usize>j << 1)), load<u8>(s + j));
      }
    }
  }
}

/** Copies row `row` of an interleaved matrix at `w` back to ggml's row layout at `dst` (rowBytes bytes). */
export function deinterleaveRow(type: i32, w: usize, rowBytes: usize, row: i32, dst: usize): void {
  const B = x4BlockBytes(type);
  const blocks = <i32>(rowBytes / <usize>B);
  const src = w + <usize>(row >> 2) * (rowBytes << 2);
  const r = row & 3;
  for (let blk = 0; blk < blocks; blk++) {
    const from = src + <usize>blk * (<usize>B << 2), to = dst + <usize>blk * B;
    for (let j = 0; j < B; j++) store<u8>(to + j, load<u8>(from + offset(type, r, j)));
  }
}
