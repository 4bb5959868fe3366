/**
 * What the K-quant formats share: the 256-element super-block, ggml's rounding, and the scale searches of
 * llama.cpp's reference quantizers (ggml-quants.c, quant_weights == NULL paths).
 *
 * Bit-exactness: ggml does this search in float32, and a different float rounding anywhere changes which
 * candidate scale wins and so the bytes written. Every intermediate result is therefore passed through
 * `f` (Math.fround) in the same order of operations as the C code. A float op done in double and then rounded
 * to float gives the correctly rounded float result for + - * / and sqrt, so one fround per C operation suffices.
 * Inputs are finite: quant/index.ts refuses NaN and infinities before any quantizer runs.
 */
import { readHalf, writeHalf } from './f16.js';
import { largestMagnitude } from './largest-magnitude.js';

export const QK_K = 256;

/** Math.fround under a short name: marks each place where C rounds to float32. */
export const f = Math.fround;

/** ggml's 1e-15f: below this max-abs a group counts as all zeros. */
export const GROUP_MAX_EPS = f(1e-15);
/** 0.1f, the step of the scale searches. */
const TENTH = f(0.1);

// 1.5·2^52: adding it to a double with |v| < 2^51 leaves the integer nearest v, ties to even, in the low bits.
const ROUND_MAGIC = 6755399441055744;
const bitsF32 = new Float32Array(1);
const bitsI32 = new Int32Array(bitsF32.buffer);

/**
 * ggml's nearest_int(float): adds 1.5·2^23 in float and reads the mantissa. Inside its asserted range
 * (|v| <= 4194303) that is round-half-to-even: 2.5 -> 2 and -3.5 -> -4, where Math.round gives 3 and -3.
 * Outside it (huge ratios after a scale rounded to a tiny f16) C returns mantissa bits, which the callers
 * then clamp; those bits are reproduced so the clamp lands where llama.cpp's does.
 */
export function nearestInt(v: number): number {
  if (Math.abs(v) <= 4194303) return v + ROUND_MAGIC - ROUND_MAGIC;
  bitsF32[0] = v + 12582912;
  return (bitsI32[0]! & 0x007fffff) - 0x00400000;
}

/** The signed quants of the group being fitted. */
const signed = new Int8Array(QK_K);

/** The x²-weighted sums Σw·x·l and Σw·l² of the last symmetricQuants call. */
const fit = new Float32Array(2);

/**
 * Symmetric quants l = clamp(round(iscale·x), -nmax, nmax-1) of x[xo..xo+n) into signed[0..n), and their sums into `fit`
 * with weights w = x², accumulated in C's order and float rounding: the first step of make_qx_quants and make_q3_quants.
 */
function symmetricQuants(n: number, nmax: number, iscale: number, x: Float32Array, xo: number): void {
  let sumlx = 0;
  let suml2 = 0;
  for (let i = 0; i < n; i++) {
    const xi = x[xo + i]!;
    const l = clamp(nearestInt(f(iscale * xi)), -nmax, nmax - 1);
    signed[i] = l;
    const w = f(xi * xi);
    sumlx = f(sumlx + f(f(w * xi) * l));
    suml2 = f(suml2 + f(f(w * l) * l));
  }
  fit[0] = sumlx;
  fit[1] = suml2;
}

/**
 * make_qx_quants with rmse_type 1 and no importance weights (the variant Q6_K uses): symmetric quants in
 * [-nmax, nmax-1] for x[xo..xo+n), written to L as l + nmax; returns the scale minimizing the x²-weighted
 * error over 19 candidate inverse scales -(nmax + 0.1·is)/max.
 */
export function makeQxQuants(n: number, nmax: number, x: Float32Array, xo: number, L: Uint8Array, lo: number): number {
  const max = largestMagnitude(x, xo, n);
  if (Math.abs(max) < GROUP_MAX_EPS) {
    L.fill(0, lo, lo + n);
    return 0;
  }
  symmetricQuants(n, nmax, f(-nmax / max), x, xo);
  for (let i = 0; i < n; i++) L[lo + i] = signed[i]! + nmax;
  let scale = fit[1] !== 0 ? f(fit[0]! / fit[1]!) : 0;
  let best = f(scale * fit[0]!);
  for (let is = -9; is <= 9; is++) {
    if (is === 0) continue;
    symmetricQuants(n, nmax, f(-f(nmax + f(TENTH * is)) / max), x, xo);
    const sumlx = fit[0]!;
    const suml2 = fit[1]!;
    if (suml2 > 0 && f(sumlx * sumlx) > f(best * suml2)) {
      for (let i = 0; i < n; i++) L[lo + i] = signed[i]! + nmax;
      scale = f(sumlx / suml2);
      best = f(scale * sumlx);
    }
  }
  return scale;
}

/**
 * make_q3_quants with do_rmse: symmetric quants in [-nmax, nmax-1] (stored as l + nmax in L), then up to 5
 * passes moving single quants while that lowers the x²-weighted error. Returns the group's scale.
 */
export function makeQ3Quants(n: number, nmax: number, x: Float32Array, xo: number, L: Uint8Array, lo: number): number {
  const max = largestMagnitude(x, xo, n);
  if (Math.abs(max) < GROUP_MAX_EPS) {
    L.fill(0, lo, lo + n);
    return 0;
  }
  symmetricQuants(n, nmax, f(-nmax / max), x, xo);
  let sumlx = fit[0]!;
  let suml2 = fit[1]!;
  for (let itry = 0; itry < 5; itry++) {
    let changed = 0;
    for (let i = 0; i < n; i++) {
      const xi = x[xo + i]!;
      const li = signed[i]!;
      const w = f(xi * xi);
      let slx = f(sumlx - f(f(w * xi) * li));
      if (slx > 0) {
        let sl2 = f(suml2 - f(f(w * li) * li));
        const nl = clamp(nearestInt(f(f(xi * sl2) / slx)), -nmax, nmax - 1);
        if (nl !== li) {
          slx = f(slx + f(f(w * xi) * nl));
          sl2 = f(sl2 + f(f(w * nl) * nl));
          if (sl2 > 0 && f(f(slx * slx) * suml2) > f(f(sumlx * sumlx) * sl2)) {
            signed[i] = nl;
            sumlx = slx;
            suml2 = sl2;
            changed++;
          }
        }
      }
    }
    if (changed === 0) break;
  }
  for (let i = 0; i < n; i++) L[lo + i] = signed[i]! + nmax;
  return f(sumlx / suml2);
}

/** Parameters of make_qkx2_quants' scan of candidate scales: iscale = (rmin + rdelta·is + nmax)/(max - min). */
export interface Qkx2Search {
  readonly nmax: number;
  readonly rmin: number;
  readonly rdelta: number;
  readonly nstep: number;
  /** Minimize the weighted absolute error (true) or squared error (false). */
  readonly useMad: boolean;
}

/**
 * make_qkx2_quants: asymmetric quants x ≈ scale·l - m, l in [0, nmax], for x[xo..xo+n) with per-element
 * `weights`. Fits scale and min by weighted least squares for each of nstep+1 candidate inverse scales and
 * keeps the one with the lowest weighted error. Writes l to L, m (>= 0) to mins[mi]; returns the scale.
 * `Laux` is scratch of n bytes.
 */
export function makeQkx2Quants(
  n: number,
  p: Qkx2Search,
  x: Float32Array,
  xo: number,
  weights: Float32Array,
  L: Uint8Array,
  lo: number,
  mins: Float32Array,
  mi: number,
  Laux: Uint8Array,
): number {
  const { nmax, useMad, rmin, rdelta, nstep } = p;
  let min = x[xo]!;
  let max = min;
  let sumW = weights[0]!;
  let sumX = f(sumW * min);
  for (let i = 1; i < n; i++) {
    const xi = x[xo + i]!;
    if (xi < min) min = xi;
    if (xi > max) max = xi;
    const w = weights[i]!;
    sumW = f(sumW + w);
    sumX = f(sumX + f(w * xi));
  }
  if (min > 0) min = 0;
  if (max === min) {
    L.fill(0, lo, lo + n);
    mins[mi] = -min;
    return 0;
  }
  let iscale = f(nmax / f(max - min));
  let scale = f(1 / iscale);
  let bestMad = 0;
  for (let i = 0; i < n; i++) {
    const xi = x[xo + i]!;
    const l = clamp(nearestInt(f(iscale * f(xi - min))), 0, nmax);
    L[lo + i] = l;
    const diff = f(f(f(scale * l) + min) - xi);
    bestMad = f(bestMad + f(weights[i]! * (useMad ? Math.abs(diff) : f(diff * diff))));
  }
  if (nstep < 1) {
    mins[mi] = -min;
    return scale;
  }
  // `min` is the best fit so far, so later candidates are spaced over a different range: as in the C.
  for (let is = 0; is <= nstep; is++) {
    iscale = f(f(f(rmin + f(rdelta * is)) + nmax) / f(max - min));
    let sumL = 0;
    let sumL2 = 0;
    let sumXL = 0;
    // A candidate that rounds to the same quants as the one before it has the same fit and error: skip it.
    let same = is > 0;
    for (let i = 0; i < n; i++) {
      const xi = x[xo + i]!;
      const l = clamp(nearestInt(f(iscale * f(xi - min))), 0, nmax);
      if (Laux[i] !== l) {
        Laux[i] = l;
        same = false;
      }
      const wl = f(weights[i]! * l);
      sumL = f(sumL + wl);
      sumL2 = f(sumL2 + f(wl * l));
      sumXL = f(sumXL + f(wl * xi));
    }
    if (same) continue;
    const D = f(f(sumW * sumL2) - f(sumL * sumL));
    if (D > 0) {
      let thisScale = f(f(f(sumW * sumXL) - f(sumX * sumL)) / D);
      let thisMin = f(f(f(sumL2 * sumX) - f(sumL * sumXL)) / D);
      if (thisMin > 0) {
        thisMin = 0;
        thisScale = f(sumXL / sumL2);
      }
      // The error only grows as terms (all >= 0) are added, so a partial sum past the best rejects the candidate.
      let mad = 0;
      for (let i = 0; i < n && mad < bestMad; i++) {
        const diff = f(f(f(thisScale * Laux[i]!) + thisMin) - x[xo + i]!);
        mad = f(mad + f(weights[i]! * (useMad ? Math.abs(diff) : f(diff * diff))));
      }
      if (mad < bestMad) {
        for (let i = 0; i < n; i++) L[lo + i] = Laux[i]!;
        bestMad = mad;
        scale = thisScale;
        min = thisMin;
      }
    }
  }
  mins[mi] = -min;
  return scale;
}

/** The 6-bit scale of sub-block j (0..7) from Q4_K/Q5_K's 12 packed bytes at q[o..o+12) (get_scale_min_k4). */
function scaleK4(j: number, q: Uint8Array, o: number): number {
  return j < 4 ? q[o + j]! & 63 : (q[o + j + 4]! & 0xf) | ((q[o + j - 4]! >> 6) << 4);
}

/** The 6-bit min of sub-block j (0..7) from Q4_K/Q5_K's 12 packed bytes at q[o..o+12) (get_scale_min_k4). */
function minK4(j: number, q: Uint8Array, o: number): number {
  return j < 4 ? q[o + j + 4]! & 63 : (q[o + j + 4]! >> 4) | ((q[o + j]! >> 6) << 4);
}

/**
 * The 8 sub-block scales d·scale_j and offsets dmin·min_j of the Q4_K/Q5_K super-block at b[o..): x = scale·q - offset.
 * Each is an f16 times a 6-bit integer, exact in f32, so these are the values C's float math computes.
 */
export function subBlockScalesK4(b: Uint8Array, o: number, scales: Float32Array, offsets: Float32Array): void {
  const d = readHalf(b, o);
  const dmin = readHalf(b, o + 2);
  for (let j = 0; j < 8; j++) {
    scales[j] = d * scaleK4(j, b, o + 4);
    offsets[j] = dmin * minK4(j, b, o + 4);
  }
}

/**
 * 2-bit packing of Q2_K and Q3_K: within each half of the super-block, byte l holds elements l, l+32, l+64, l+96
 * in bits 0-1, 2-3, 4-5, 6-7. L holds 256 values in 0..3.
 */
export function pack2Bits(L: Uint8Array, dst: Uint8Array, o: number): void {
  for (let j = 0; j < QK_K; j += 128) {
    const q = o + j / 4;
    for (let l = 0; l < 32; l++) dst[q + l] = L[j + l]! | (L[j + l + 32]! << 2) | (L[j + l + 64]! << 4) | (L[j + l + 96]! << 6);
  }
}

const k4Weights = new Float32Array(32);
const k4Scales = new Float32Array(8);
const k4Mins = new Float32Array(8);
const k4Laux = new Uint8Array(32);
const k4RoundedScales = new Float32Array(8);
const k4RoundedMins = new Float32Array(8);

/**
 * What quantize_row_q4_K_ref and quantize_row_q5_K_ref share, everything but the packing of the quants:
 * each of the 8 sub-blocks of 32 is fitted by make_qkx2_quants with weights rms(x) + |x|; the sub-block scales
 * and mins are quantized to 6 bits against the f16 super-block scales d = max_scale/63 and dmin = max_min/63;
 * then every element is quantized again against the scales as rounded. Writes d, dmin and the 12 bytes of
 * packed scales at dst[o..o+16), and the 256 quants (0..p.nmax) to L.
 */
export function quantizeSuperBlockK4(x: Float32Array, xo: number, p: Qkx2Search, dst: Uint8Array, o: number, L: Uint8Array): void {
  let maxScale = 0;
  let maxMin = 0;
  for (let j = 0; j < 8; j++) {
    const xj = xo + 32 * j;
    let sumX2 = 0;
    for (let l = 0; l < 32; l++) sumX2 = f(sumX2 + f(x[xj + l]! * x[xj + l]!));
    const avX = f(Math.sqrt(f(sumX2 / 32)));
    for (let l = 0; l < 32; l++) k4Weights[l] = avX + Math.abs(x[xj + l]!);
    const scale = makeQkx2Quants(32, p, x, xj, k4Weights, L, 32 * j, k4Mins, j, k4Laux);
    k4Scales[j] = scale;
    if (scale > maxScale) maxScale = scale;
    if (k4Mins[j]! > maxMin) maxMin = k4Mins[j]!;
  }
  const invScale = maxScale > 0 ? f(63 / maxScale) : 0;
  const invMin = maxMin > 0 ? f(63 / maxMin) : 0;
  const sc = o + 4;
  for (let j = 0; j < 8; j++) {
    // C stores nearest_int into a uint8_t before MIN(63, ·): a negative value wraps to >= 193 and clamps to 63.
    const ls = Math.min(63, nearestInt(f(invScale * k4Scales[j]!)) & 0xff);
    const lm = Math.min(63, nearestInt(f(invMin * k4Mins[j]!)) & 0xff);
    if (j < 4) {
      dst[sc + j] = ls;
      dst[sc + j + 4] = lm;
    } else {
      dst[sc + j + 4] = (ls & 0xf) | ((lm & 0xf) << 4);
      dst[sc + j - 4] |= (ls >> 4) << 6;
      dst[sc + j] |= (lm >> 4) << 6;
    }
  }
  writeHalf(dst, o, f(maxScale / 63));
  writeHalf(dst, o + 2, f(maxMin / 63));
  subBlockScalesK4(dst, o, k4RoundedScales, k4RoundedMins);
  for (let j = 0; j < 8; j++) {
    const dj = k4RoundedScales[j]!;
    if (dj === 0) continue; // C's `if (!d)`: a NaN scale (inf·0) is not zero and goes on
    const dm = k4RoundedMins[j]!;
    const xj = xo + 32 * j;
    for (let l = 0; l < 32; l++) L[32 * j + l] = clamp(nearestInt(f(f(x[xj + l]! + dm) / dj)), 0, p.nmax);
  }
}

/** A byte read as int8_t. */
export function int8(b: number): number {
  return (b << 24) >> 24;
}

export function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}
