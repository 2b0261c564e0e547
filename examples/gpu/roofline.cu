// Register-only throughput loops for the roofline note (docs/DESIGN.md): binary multiply-accumulates
// per second through CUDA-core popcount and through the tensor cores' 1-bit MMA, and bf16 MMA
// multiply-accumulates, on this GPU. Built here by examples/gpu/prepare.py (nvcc, sm_90), loaded
// and timed on the GPU by examples/gpu/gpu_check.py. Every kernel writes its accumulators to
// `sink` so that nothing is optimised away; `rounds` comes from the host.
//
// Counts per loop iteration and thread:
//   popc32:  8 x (LOP3 xor, POPC, IADD)               8 x 32 binary MACs
//   popc64:  8 x __popcll(a ^ w) (2 POPC each)         8 x 64 binary MACs
//   b1 mma:  4 x mma.m16n8k256 per warp (and/xor.popc) 4 x 16*8*256 binary MACs per warp
//   bf16:    4 x mma.m16n8k16 per warp                 4 x 16*8*16 MACs per warp
#include <cstdint>

extern "C" __global__ void popc32_loop(const uint32_t* seed, uint32_t* sink, int rounds) {
    uint32_t v[8], acc[8];
    const uint32_t w = seed[threadIdx.x & 31];
#pragma unroll
    for (int i = 0; i < 8; ++i) { v[i] = seed[(threadIdx.x + i) & 31] * (i + 1); acc[i] = 0; }
    for (int r = 0; r < rounds; ++r) {
#pragma unroll
        for (int i = 0; i < 8; ++i) { acc[i] += __popc(v[i] ^ w); v[i] ^= acc[i]; }
    }
    uint32_t total = 0;
#pragma unroll
    for (int i = 0; i < 8; ++i) total += acc[i];
    sink[blockIdx.x * blockDim.x + threadIdx.x] = total;
}

extern "C" __global__ void popc64_loop(const uint64_t* seed, uint32_t* sink, int rounds) {
    uint64_t v[8];
    uint32_t acc[8];
    const uint64_t w = seed[threadIdx.x & 31];
#pragma unroll
    for (int i = 0; i < 8; ++i) { v[i] = seed[(threadIdx.x + i) & 31] * (i + 1); acc[i] = 0; }
    for (int r = 0; r < rounds; ++r) {
#pragma unroll
        for (int i = 0; i < 8; ++i) { acc[i] += __popcll(v[i] ^ w); v[i] ^= acc[i]; }
    }
    uint32_t total = 0;
#pragma unroll
    for (int i = 0; i < 8; ++i) total += acc[i];
    sink[blockIdx.x * blockDim.x + threadIdx.x] = total;
}

// D = A(16x256 bits) . B(256x8 bits) + C, counting popc(a AND b) (or popc(a XOR b)) per product:
// either gives the exact binary dot product (a.w = K - 2 popc(a XOR w)
// = K - 2(popc a + popc w) + 4 popc(a AND w) for ±1 bits). PTX lists .xor.popc as deprecated
// from sm_90, so both are timed.
#define B1_MMA_LOOP(NAME, OP)                                                                       \
extern "C" __global__ void NAME(const uint32_t* seed, int* sink, int rounds) {                      \
    uint32_t a[4], b[2];                                                                            \
    int c[4][4];                                                                                    \
    for (int i = 0; i < 4; ++i) a[i] = seed[(threadIdx.x + i) & 31];                                \
    b[0] = seed[(threadIdx.x + 5) & 31];                                                            \
    b[1] = seed[(threadIdx.x + 7) & 31];                                                            \
    for (int k = 0; k < 4; ++k)                                                                     \
        for (int i = 0; i < 4; ++i) c[k][i] = 0;                                                    \
    for (int r = 0; r < rounds; ++r) {                                                              \
        _Pragma("unroll")                                                                           \
        for (int k = 0; k < 4; ++k) {                                                               \
            asm volatile(                                                                           \
                "mma.sync.aligned.m16n8k256.row.col.s32.b1.b1.s32." OP " "                          \
                "{%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};\n"                 \
                : "+r"(c[k][0]), "+r"(c[k][1]), "+r"(c[k][2]), "+r"(c[k][3])                        \
                : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));                \
        }                                                                                           \
    }                                                                                               \
    int total = 0;                                                                                  \
    for (int k = 0; k < 4; ++k)                                                                     \
        for (int i = 0; i < 4; ++i) total += c[k][i];                                               \
    sink[blockIdx.x * blockDim.x + threadIdx.x] = total;                                            \
}

B1_MMA_LOOP(b1_and_mma_loop, "and.popc")
B1_MMA_LOOP(b1_xor_mma_loop, "xor.popc")

extern "C" __global__ void bf16_mma_loop(const uint32_t* seed, float* sink, int rounds) {
    uint32_t a[4], b[2];
    float c[4][4];
#pragma unroll
    for (int i = 0; i < 4; ++i) a[i] = 0x3c003c00u ^ (seed[(threadIdx.x + i) & 31] & 0x00ff00ffu);
    b[0] = 0x3c003c00u;
    b[1] = 0x3c003c00u;
#pragma unroll
    for (int k = 0; k < 4; ++k)
#pragma unroll
        for (int i = 0; i < 4; ++i) c[k][i] = 0.0f;
    for (int r = 0; r < rounds; ++r) {
#pragma unroll
        for (int k = 0; k < 4; ++k) {
            asm volatile(
                "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 "
                "{%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};\n"
                : "+f"(c[k][0]), "+f"(c[k][1]), "+f"(c[k][2]), "+f"(c[k][3])
                : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
        }
    }
    float total = 0.0f;
#pragma unroll
    for (int k = 0; k < 4; ++k)
#pragma unroll
        for (int i = 0; i < 4; ++i) total += c[k][i];
    sink[blockIdx.x * blockDim.x + threadIdx.x] = total;
}
