/* Check of the Cortex-M binary convolution kernels (bconv_cm.c) against the portable ones (bconv.c),
 * bit for bit, built as firmware for an MPS2 board and run on qemu-system-arm by test_bconv_cm.py.
 *
 * Semihosting command line: CASES, a host file with one case per line,
 *   C H W M OH OW KH KW SH SW DH DW PT PL pad_bit oy_begin oy_end seed opposite
 * Inputs, weights, scale / bias / residual and thresholds come from a fixed PRNG (splitmix64) seeded by
 * `seed`; with opposite = 1, every input bit is 1 and every weight bit 0 (all products -1: the largest
 * popcounts the kernel's counters must hold). Every __cm entry point runs on rows [oy_begin, oy_end) into outputs prefilled with garbage and
 * is compared with the portable kernel on the same rows over the whole output: floats by bit pattern,
 * packed words exactly (tail bits included), garbage outside the rows. On the console: one line per
 * mismatch (at most a few per case and check), then "cases N". No C library beyond memset/memcpy: memory
 * comes from the free RAM of board.ld, released after each case.
 */
#include <stdint.h>
#include <string.h>

#include "semihosting.h"
#include "bnncc/common.h"
#include "bnncc/bconv.h"
#include "bnncc/bconv_cm.h"

extern unsigned char __io_start[], __io_end[];
static unsigned char *free_ram;

static void *take(size_t n)
{
    void *p = free_ram;
    free_ram += (n + 7u) & ~(size_t)7u;
    if (free_ram > __io_end) {
        sh_print("bconv_cm_check: out of memory\n");
        sh_exit(3);
    }
    return p;
}

static uint64_t rng_state;

static uint64_t rnd(void)
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static int rnd_int(int n) { return (int)(rnd() % (uint64_t)n); }

static float bits_float(uint32_t u)
{
    float f;
    memcpy(&f, &u, 4);
    return f;
}

static uint32_t float_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

/* uniform in [lo, hi), with a short mantissa now and then (exact products: ties downstream) */
static float rnd_float(float lo, float hi)
{
    float u = (float)(rnd() >> 40) / (float)(1 << 24);
    if (rnd_int(4) == 0) u = (float)rnd_int(16) / 16.0f;
    return lo + (hi - lo) * u;
}

/* packed [n][words(C)] with tail bits 0 */
static bnn_word *random_packed(size_t n, int C)
{
    const size_t nw = (size_t)bnn_words(C);
    bnn_word *x = take(n * nw * sizeof *x);
    size_t i;
    for (i = 0; i < n * nw; i++) x[i] = rnd() & (i % nw == nw - 1 ? bnn_tail_mask(C) : ~(bnn_word)0);
    return x;
}

static int mismatches, case_no;

static void put_decimal(char **out, uint32_t v)
{
    char digits[10];
    int n = 0;
    do digits[n++] = (char)('0' + v % 10u); while ((v /= 10u) != 0);
    while (n) *(*out)++ = digits[--n];
}

static void put_hex(char **out, uint32_t v)
{
    int i;
    for (i = 7; i >= 0; i--) *(*out)++ = "0123456789abcdef"[(v >> (4 * i)) & 15u];
}

static void report(const char *what, size_t i, uint64_t got, uint64_t want)
{
    char line[128], *out = line;
    if (++mismatches > 2000) return;
    memcpy(out, "case ", 5), out += 5;
    put_decimal(&out, (uint32_t)case_no);
    *out++ = ' ';
    while (*what) *out++ = *what++;
    memcpy(out, " index ", 7), out += 7;
    put_decimal(&out, (uint32_t)i);
    memcpy(out, " got ", 5), out += 5;
    put_hex(&out, (uint32_t)(got >> 32)), put_hex(&out, (uint32_t)got);
    memcpy(out, " want ", 6), out += 6;
    put_hex(&out, (uint32_t)(want >> 32)), put_hex(&out, (uint32_t)want);
    *out++ = '\n';
    *out = '\0';
    sh_print(line);
}

static void cmp_f32(const char *what, const float *got, const float *want, size_t n)
{
    size_t i;
    int shown = 0;
    for (i = 0; i < n && shown < 4; i++)
        if (float_bits(got[i]) != float_bits(want[i])) {
            report(what, i, float_bits(got[i]), float_bits(want[i]));
            shown++;
        }
}

static void cmp_words(const char *what, const bnn_word *got, const bnn_word *want, size_t n)
{
    size_t i;
    int shown = 0;
    for (i = 0; i < n && shown < 4; i++)
        if (got[i] != want[i]) {
            report(what, i, got[i], want[i]);
            shown++;
        }
}

#define FILL_F 0x7FC0DEADu /* a NaN that no kernel writes */
#define FILL_W 0xA5A5A5A5A5A5A5A5ull

static void fill_f(float *x, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) x[i] = bits_float(FILL_F);
}

static void fill_w(bnn_word *x, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) x[i] = FILL_W;
}

static void run_case(const bnn_bconv_params *p, int oy0, int oy1, int opposite)
{
    const size_t hw = (size_t)p->OH * (size_t)p->OW;
    const size_t nf = (size_t)p->M * hw, nb = hw * (size_t)bnn_words(p->M);
    const size_t T = (size_t)p->KH * (size_t)p->KW;
    bnn_word *x = random_packed((size_t)p->H * (size_t)p->W, p->C);
    bnn_word *w = random_packed((size_t)p->M * T, p->C);
    float *scale = take((size_t)p->M * sizeof(float)), *bias = take((size_t)p->M * sizeof(float));
    float *res = take(nf * sizeof(float)), *full = take(nf * sizeof(float));
    float *want = take(nf * sizeof(float)), *got = take(nf * sizeof(float));
    float *fthr = take((size_t)p->M * sizeof(float));
    int32_t *thr = take((size_t)p->M * sizeof(int32_t));
    int8_t *dir = take((size_t)p->M);
    bnn_word *bwant = take(nb * sizeof *bwant), *bgot = take(nb * sizeof *bgot);
    int m, r;
    size_t i;

    if (opposite) {
        const size_t nw = (size_t)bnn_words(p->C);
        for (i = 0; i < (size_t)p->H * (size_t)p->W * nw; i++) x[i] = i % nw == nw - 1 ? bnn_tail_mask(p->C) : ~0ull;
        memset(w, 0, (size_t)p->M * T * nw * sizeof *w);
    }
    for (m = 0; m < p->M; m++) {
        scale[m] = rnd_int(16) == 0 ? 0.0f : rnd_float(-2.0f, 2.0f);
        bias[m] = rnd_float(-8.0f, 8.0f);
        if (rnd_int(64) == 0) scale[m] = bits_float(0x7FC00000u);   /* NaN */
        dir[m] = (int8_t)(rnd_int(3) - 1);
    }
    for (i = 0; i < nf; i++) res[i] = rnd_float(-4.0f, 4.0f);

    /* f32 */
    bnn_bconv_f32_rows(p, x, w, 0, p->OH, full);
    fill_f(want, nf);
    bnn_bconv_f32_rows(p, x, w, oy0, oy1, want);
    fill_f(got, nf);
    bnn_bconv_f32_rows__cm(p, x, w, oy0, oy1, got);
    cmp_f32("f32", got, want, nf);

    /* bits: integer thresholds at, next to or away from values acc takes */
    for (m = 0; m < p->M; m++) thr[m] = (int32_t)full[(size_t)m * hw + (size_t)rnd_int((int)hw)] + rnd_int(5) - 2;
    fill_w(bwant, nb);
    bnn_bconv_bits_rows(p, x, w, thr, dir, oy0, oy1, bwant);
    fill_w(bgot, nb);
    bnn_bconv_bits_rows__cm(p, x, w, thr, dir, oy0, oy1, bgot);
    cmp_words("bits", bgot, bwant, nb);

    for (r = 0; r < 2; r++) {
        const float *rp = r ? NULL : res;
        bnn_bconv_affine_f32_rows(p, x, w, scale, bias, rp, 0, p->OH, full);
        fill_f(want, nf);
        bnn_bconv_affine_f32_rows(p, x, w, scale, bias, rp, oy0, oy1, want);
        fill_f(got, nf);
        bnn_bconv_affine_f32_rows__cm(p, x, w, scale, bias, rp, oy0, oy1, got);
        cmp_f32(r ? "affine_f32" : "affine_f32+res", got, want, nf);

        /* float thresholds at values y takes (ties), one ulp off, or random */
        for (m = 0; m < p->M; m++) {
            const float y = full[(size_t)m * hw + (size_t)rnd_int((int)hw)];
            const int k = rnd_int(4);
            fthr[m] = k == 3 || y != y ? rnd_float(-10.0f, 10.0f) : bits_float(float_bits(y) + (uint32_t)k - 1u);
        }
        fill_f(want, nf);
        fill_w(bwant, nb);
        bnn_bconv_affine_pack_rows(p, x, w, scale, bias, rp, fthr, dir, oy0, oy1, want, bwant);
        fill_f(got, nf);
        fill_w(bgot, nb);
        bnn_bconv_affine_pack_rows__cm(p, x, w, scale, bias, rp, fthr, dir, oy0, oy1, got, bgot);
        cmp_f32(r ? "affine_pack.y" : "affine_pack.y+res", got, want, nf);
        cmp_words(r ? "affine_pack.bits" : "affine_pack.bits+res", bgot, bwant, nb);
    }
}

/* The next integer of *text (skipping blanks and line ends); 0 at the end of the text. */
static int next_int(const char **text, long *value)
{
    const char *t = *text;
    int sign = 1;
    while (*t == ' ' || *t == '\n' || *t == '\r') t++;
    if (!*t) return 0;
    if (*t == '-') sign = -1, t++;
    *value = 0;
    while (*t >= '0' && *t <= '9') *value = *value * 10 + (*t++ - '0');
    *value *= sign;
    *text = t;
    return 1;
}

int main(void)
{
    static char command[512];
    char *path = command, *text;
    const char *cursor;
    char line[32], *out = line;
    intptr_t file, length;
    unsigned char *case_ram;
    if (sh_command_line(command, sizeof command) != 0) return 2;
    while (*path && *path != ' ') path++;      /* the program's name */
    while (*path == ' ') path++;
    file = sh_open(path, SH_OPEN_READ_BINARY);
    if (file < 0) return 4;
    length = sh_file_length(file);
    free_ram = __io_start;
    text = take((size_t)length + 1);
    if (sh_read(file, text, (size_t)length) != (size_t)length) return 4;
    sh_close(file);
    text[length] = '\0';
    cursor = text;
    case_ram = free_ram;
    for (;;) {
        long v[19];
        int k;
        bnn_bconv_params p;
        for (k = 0; k < 19 && next_int(&cursor, &v[k]); k++) continue;
        if (k < 19) break;
        p.C = (int)v[0], p.H = (int)v[1], p.W = (int)v[2], p.M = (int)v[3], p.OH = (int)v[4], p.OW = (int)v[5];
        p.KH = (int)v[6], p.KW = (int)v[7], p.SH = (int)v[8], p.SW = (int)v[9], p.DH = (int)v[10], p.DW = (int)v[11];
        p.PT = (int)v[12], p.PL = (int)v[13], p.pad_bit = (int)v[14];
        rng_state = (uint64_t)v[17];
        case_no++;
        free_ram = case_ram;
        run_case(&p, (int)v[15], (int)v[16], (int)v[18]);
    }
    memcpy(out, "cases ", 6), out += 6;
    put_decimal(&out, (uint32_t)case_no);
    *out++ = '\n';
    *out = '\0';
    sh_print(line);
    return 0;
}
