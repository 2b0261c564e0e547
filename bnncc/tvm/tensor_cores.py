"""The popcount sum of a binary convolution on the tensor cores' 1-bit MMA (CUDA, sm_80+).

`mma.sync.m16n8k256 ... .b1.b1.s32.and.popc` adds popcount(a AND b) over 256 bits for a 16 x 8
tile; popcount(a XOR b), which the binary conv sums, is listed as deprecated from sm_90 and
measured 6x slower than AND on the H200. AND gives XOR exactly through two bit planes: for the
input word x of a tap, its mask m (all ones inside the map, 0 for a zero-padded tap) and the
weight word w,

    popcount((x XOR w) AND m) = popcount((x AND m) AND NOT w) + popcount((NOT x AND m) AND w)

bit by bit: x(1-w)m + (1-x)wm = (x XOR w)m. Tail bits (channels past C in the last word) are 0
in x and w, so both terms are 0 there (NOT x has tail ones, but w has tail zeros). So the reduction
runs over K = 2 x 64 bits per word of r: A = [x AND m | NOT x AND m], B = [NOT w | w], with no
correction term, and `pop` is the same integer as kernels.binary_conv_popcount's.

The kernel (`pop_source`): a block of 4 warps takes 128 output pixels (the batch's pixels in a
row, so small maps fill whole warps) and 64 output channels; a warp 32 pixels (two m16 tiles) x 64
channels (eight n8 tiles), 64 accumulators per lane. Per MMA step of 256 bits a lane builds its
A registers from two words of r for its four pixels (the word of the tap, its mask, the plane and
half its lane index selects) and its B registers from the two weight words of its column, then
issues 16 MMAs. Fragment layout (PTX ISA, m16n8k256 .b1): lane = 4 g + t; a0/a2 hold row g, a1/a3
row g + 8, a0/a1 the 32 bits 32t.. of K and a2/a3 those 128 further; b0/b1 the same K bits of
column g; c0, c1 row g columns 2t, 2t + 1 and c2, c3 row g + 8. The 256 bits of a step are
[x~ lo, x~ hi, x^ lo, x^ hi] of word r then of word r + 1 (32 bits each, x~ = x AND m, x^ = NOT x
AND m), against [~w lo, ~w hi, w lo, w hi]: chunk t <-> t + 4 is word r <-> r + 1, plane t // 2,
half t % 2, the same for A and B. `pop` is written as [N, M, OH*OW] int32 (channel-major, so the
output stage, a second kernel, reads it coalesced).

Only the GPU runs this; the check of examples/gpu compares every output with the reference.
"""
from __future__ import annotations

import hashlib

from .kernels import BinaryConv

ROWS_PER_BLOCK = 128         # output pixels per block: 4 warps x 32
CHANNELS_PER_BLOCK = 64      # output channels per block: 8 n8 tiles


def eligible(conv: BinaryConv, channels_out: int, min_words: int = 18) -> bool:
    """Whether a layer runs on the tensor cores: a conv (not dense) with zero padding (or none),
    whole blocks of 64 output channels and at least `min_words` words of r per output: below
    that the popcount kernel, which keeps the sums in registers, beats writing them out."""
    kh, kw = conv.window.kernel
    words = -(-conv.channels // 64)
    return (not conv.dense and conv.pad_bit == -1 and channels_out % CHANNELS_PER_BLOCK == 0
            and kh * kw * words >= min_words)


def pop_source(conv: BinaryConv, height: int, width: int, channels_out: int) -> tuple[str, str]:
    """(function name, CUDA source) of the device function that computes `pop` of one layer;
    called by every thread of a grid of (ceil(N * OH*OW / 128), M / 64) blocks of 128 threads."""
    (kh, kw), (sh, sw), (dh, dw) = conv.window.kernel, conv.window.strides, conv.window.dilations
    pt, pl = conv.window.pads[0], conv.window.pads[1]
    out_h, out_w = conv.window.output_size(height, width)
    words = -(-conv.channels // 64)
    geometry = dict(H=height, W=width, J=words, KH=kh, KW=kw, SH=sh, SW=sw, DH=dh, DW=dw, PT=pt, PL=pl,
                    OW=out_w, Q=out_h * out_w, R=kh * kw * words, M=channels_out)
    name = "bnncc_b1_mma_pop_" + hashlib.sha256(repr(sorted(geometry.items())).encode()).hexdigest()[:12]
    source = POP_TEMPLATE
    for key, value in sorted(geometry.items(), key=lambda item: -len(item[0])):
        source = source.replace(f"${key}", str(value))
    return name, source.replace("$NAME", name)


POP_TEMPLATE = r"""
// bnncc: pop of a binary conv on the 1-bit tensor cores (bnncc/tvm/tensor_cores.py)
// x [N, $H, $W, $J] words, w [$R, $M] words (r = (kh, kw, j)), pop [N, $M, $Q] int32
__device__ __forceinline__ void $NAME(const uint64_t* __restrict__ x, const uint64_t* __restrict__ w,
                                      int* __restrict__ pop, long long batch) {
  const long long rows = batch * $Q;
  const int lane = threadIdx.x & 31, g = lane >> 2, t = lane & 3;
  const long long first = (long long)blockIdx.x * 128 + (threadIdx.x >> 5) * 32;
  const int m0 = blockIdx.y * 64;
  long long base[4];
  int top[4], left[4];
#pragma unroll
  for (int i = 0; i < 4; ++i) {               // pixel i: m16 tile i / 2, row g (+ 8 for odd i)
    long long row = first + 16 * (i >> 1) + g + 8 * (i & 1);
    row = row < rows ? row : rows - 1;        // past the batch: read the last pixel, store nothing
    const long long n = row / $Q;
    const int q = (int)(row - n * $Q);
    base[i] = n * ($H * $W * $J);
    top[i] = q / $OW * $SH - $PT;
    left[i] = q % $OW * $SW - $PL;
  }
  int acc[2][8][4];
#pragma unroll
  for (int a = 0; a < 2; ++a)
#pragma unroll
    for (int b = 0; b < 8; ++b)
#pragma unroll
      for (int c = 0; c < 4; ++c) acc[a][b][c] = 0;
  const bool inverted = t >= 2;               // plane: x AND m against NOT w, or NOT x AND m against w
  const int shift = (t & 1) * 32;             // half of the 64-bit word
  for (int r0 = 0; r0 < $R; r0 += 2) {
    unsigned a[2][4];
#pragma unroll
    for (int s = 0; s < 2; ++s) {             // word r0 + s: registers a0/a1 (s = 0) or a2/a3 (s = 1)
      const int r = r0 + s;
      const int tap = r / $J, j = r - tap * $J, kh = tap / $KW, kw = tap - kh * $KW;
#pragma unroll
      for (int i = 0; i < 4; ++i) {
        const int ih = top[i] + kh * $DH, iw = left[i] + kw * $DW;
        const bool inside = r < $R && ih >= 0 && ih < $H && iw >= 0 && iw < $W;
        const int ic = min(max(ih, 0), $H - 1), jc = min(max(iw, 0), $W - 1);
        const unsigned long long v = x[base[i] + ((long long)ic * $W + jc) * $J + (r < $R ? j : 0)];
        const unsigned long long plane = (inverted ? ~v : v) & (inside ? ~0ull : 0ull);
        a[i >> 1][(i & 1) + 2 * s] = (unsigned)(plane >> shift);
      }
    }
#pragma unroll
    for (int nt = 0; nt < 8; ++nt) {
      unsigned b[2];
#pragma unroll
      for (int s = 0; s < 2; ++s) {
        const int r = r0 + s;
        const unsigned long long v = r < $R ? w[(long long)r * $M + m0 + nt * 8 + g] : 0ull;
        b[s] = (unsigned)((inverted ? v : ~v) >> shift);
      }
#pragma unroll
      for (int mt = 0; mt < 2; ++mt)
        asm volatile("mma.sync.aligned.m16n8k256.row.col.s32.b1.b1.s32.and.popc "
                     "{%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};\n"
                     : "+r"(acc[mt][nt][0]), "+r"(acc[mt][nt][1]), "+r"(acc[mt][nt][2]), "+r"(acc[mt][nt][3])
                     : "r"(a[mt][0]), "r"(a[mt][1]), "r"(a[mt][2]), "r"(a[mt][3]), "r"(b[0]), "r"(b[1]));
    }
  }
#pragma unroll
  for (int mt = 0; mt < 2; ++mt)
#pragma unroll
    for (int h = 0; h < 2; ++h) {             // c0, c1: row g; c2, c3: row g + 8
      const long long row = first + 16 * mt + g + 8 * h;
      if (row >= rows) continue;
      const long long n = row / $Q;
      const int q = (int)(row - n * $Q);
#pragma unroll
      for (int nt = 0; nt < 8; ++nt)
#pragma unroll
        for (int c = 0; c < 2; ++c)
          pop[(n * $M + m0 + nt * 8 + 2 * t + c) * $Q + q] = acc[mt][nt][2 * h + c];
    }
}
"""
