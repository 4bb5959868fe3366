import { Q4_0_X4_BLOCK } from './x4-q4_0';
import { Q8_0_X4_BLOCK } from './x4-q8_0';
import { Q4_K_X4_BLOCK, q4kX4Offset } from './x4-q4k';
import { Q6_K_X4_BLOCK, q6kX4Offset } from './x4-q6k';

// Interleaved ("x4") weight layouts: groups of 4 consecutive rows whose blocks are merged so that one v128 holds
// 4 bytes of each of the 4 rows, and integer dots land one row per i32 lane: no horizontal sum per block, and
// one scale multiply serves 4 rows. Each layout is a permutation of the 4 rows' bytes block by block (x4-*.ts
// say where each byte goes), so a matrix is rewritten in place and keeps its size.

/** Added to a ggml type id to name its interleaved layout (matmul.ts). */
export const X4: i32 = 256;

const Q4_0 = 2, Q8_0 = 8, Q4_K = 12, Q6_K = 14;

/** Bytes of one block of `type` in one row; 0 for a type without an interleaved layout. */
export function x4BlockBytes(type: i32): i32 {
  switch (type) {
    case Q4_0: return Q4_0_X4_BLOCK >> 2;
    case Q8_0: return Q8_0_X4_BLOCK >> 2;
    case Q4_K: return Q4_K_X4_BLOCK >> 2;
    case Q6_K: return Q6_K_X4_BLOCK >> 2;
    default: return 0;
  }
}

/**
 * Q4_0's and Q8_0's layouts (blocks of an f16 scale and quant bytes): where byte j of row r's block goes. The
 * four scales come first, then the quant bytes 4 at a time, the four rows' side by side.
 */
function scaleThenQuadsOffset(r: i32, j: i32): i32 {
  if (j < 2) return 2 * r + j;
  const q = j - 2;
  return 8 + ((q >> 2) << 4) + 4 * r + (q & 3);
}

/** Where byte j of row r's block goes within the 4 rows' interleaved block. */
function offset(type: i32, r: i32, j: i32): i32 {
  switch (type) {
    case Q4_0:
    case Q8_0: return scaleThenQuadsOffset(r, j);
    case Q4_K: return q4kX4Offset(r, j);
    case Q6_K: return q6kX4Offset(r, j);
    default: unreachable();
  }
  return 0;
}

/**
 * Rewrites `rows` rows (a multiple of 4) of `rowBytes` each at `w` into the interleaved layout of `type`, a group
 * at a time through `tmp`, which holds 4·rowBytes + 32·blockBytes bytes.
 */
export function interleaveRows(type: i32, w: usize, rows: i32, rowBytes: usize, tmp: usize): void {
  const B = x4BlockBytes(type);
  const group = rowBytes << 2;
  const blocks = <i32>(rowBytes / <usize>B);
  // The permutation of one block of the 4 rows as runs of up to 4 bytes that stay together (at most one per
  // byte): (source offset from the group's first row, destination offset, length), 8 bytes each. Moving runs
  // rather than bytes makes loading a model's weights several times faster.
  const runs = tmp + group;
  let count = 0;
  for (let r = 0; r < 4; r++) {
    for (let j = 0; j < B; ) {
      const to = offset(type, r, j);
      let len = 1;
      while (len < 4 && j + len < B && offset(type, r, j + len) == to + len) len++;
      const e = runs + (<usize>count << 3);
      store<u32>(e, <u32>(<usize>r * rowBytes + j));
      store<u16>(e, <u16>to, 4);
      store<u16>(e, <u16>len, 6);
      count++;
      j += len;
    }
  }
  for (let g = 0; g < rows >> 2; g++) {
    const src = w + <usize>g * group;
    memory.copy(tmp, src, group);
    for (let blk = 0; blk < blocks; blk++) {
      const from = tmp + <usize>blk * B, dst = src + <usize>blk * (<usize>B << 2);
      for (let i = 0; i < count; i++) {
        const e = runs + (<usize>i << 3);
        const s = from + load<u32>(e), d = dst + load<u16>(e, 4);
        switch (load<u16>(e, 6)) {
          case 4: store<u32>(d, load<u32>(s)); break;
          case 3: store<u16>(d, load<u16>(s)); store<u8>(d, load<u8>(s, 2), 2); break;
          case 2: store<u16>(d, load<u16>(s)); break;
          default: store<u8>(d, load<u8>(s));
        }
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
