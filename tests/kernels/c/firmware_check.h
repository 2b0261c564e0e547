/* Helpers of the firmware check programs (bconv_cm_check.c, pack_cm_check.c), which compare Cortex-M
 * kernels with the portable ones on an emulated MPS2 board: memory from the free RAM of board.ld, a
 * fixed PRNG (splitmix64), mismatch lines on the semihosting console, and the case file named on the
 * semihosting command line, read as integers. No C library beyond memset/memcpy. */
#ifndef BNNCC_FIRMWARE_CHECK_H
#define BNNCC_FIRMWARE_CHECK_H

#include <stdint.h>
#include <string.h>

#include "semihosting.h"
#include "bnncc/common.h"

extern unsigned char __io_start[], __io_end[];
static unsigned char *free_ram;

static inline void *take(size_t n)
{
    void *p = free_ram;
    free_ram += (n + 7u) & ~(size_t)7u;
    if (free_ram > __io_end) {
        sh_print("check: out of memory\n");
        sh_exit(3);
    }
    return p;
}

static uint64_t rng_state;

static inline uint64_t rnd(void)
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static inline int rnd_int(int n) { return (int)(rnd() % (uint64_t)n); }

static inline float bits_float(uint32_t u)
{
    float f;
    memcpy(&f, &u, 4);
    return f;
}

static inline uint32_t float_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

/* uniform in [lo, hi), with a short mantissa now and then (exact products: ties downstream) */
static inline float rnd_float(float lo, float hi)
{
    float u = (float)(rnd() >> 40) / (float)(1 << 24);
    if (rnd_int(4) == 0) u = (float)rnd_int(16) / 16.0f;
    return lo + (hi - lo) * u;
}

/* packed [n][words(C)] with tail bits 0 */
static inline bnn_word *random_packed(size_t n, int C)
{
    const size_t nw = (size_t)bnn_words(C);
    bnn_word *x = take(n * nw * sizeof *x);
    size_t i;
    for (i = 0; i < n * nw; i++) x[i] = rnd() & (i % nw == nw - 1 ? bnn_tail_mask(C) : ~(bnn_word)0);
    return x;
}

static int mismatches, case_no;

static inline void put_decimal(char **out, uint32_t v)
{
    char digits[10];
    int n = 0;
    do digits[n++] = (char)('0' + v % 10u); while ((v /= 10u) != 0);
    while (n) *(*out)++ = digits[--n];
}

static inline void put_hex(char **out, uint32_t v)
{
    int i;
    for (i = 7; i >= 0; i--) *(*out)++ = "0123456789abcdef"[(v >> (4 * i)) & 15u];
}

static inline void report(const char *what, size_t i, uint64_t got, uint64_t want)
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

static inline void cmp_f32(const char *what, const float *got, const float *want, size_t n)
{
    size_t i;
    int shown = 0;
    for (i = 0; i < n && shown < 4; i++)
        if (float_bits(got[i]) != float_bits(want[i])) {
            report(what, i, float_bits(got[i]), float_bits(want[i]));
            shown++;
        }
}

static inline void cmp_words(const char *what, const bnn_word *got, const bnn_word *want, size_t n)
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

static inline void fill_f(float *x, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) x[i] = bits_float(FILL_F);
}

static inline void fill_w(bnn_word *x, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) x[i] = FILL_W;
}

/* The next integer of *text (skipping blanks and line ends); 0 at the end of the text. */
static inline int next_int(const char **text, long *value)
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

/* The case file named on the command line as text (NULL if unreadable); memory taken from then on is
 * the cases'. */
static inline const char *read_case_file(void)
{
    static char command[512];
    char *path = command, *text;
    intptr_t file, length;
    if (sh_command_line(command, sizeof command) != 0) return NULL;
    while (*path && *path != ' ') path++;      /* the program's name */
    while (*path == ' ') path++;
    file = sh_open(path, SH_OPEN_READ_BINARY);
    if (file < 0) return NULL;
    length = sh_file_length(file);
    free_ram = __io_start;
    text = take((size_t)length + 1);
    if (sh_read(file, text, (size_t)length) != (size_t)length) return NULL;
    sh_close(file);
    text[length] = '\0';
    return text;
}

/* The last line: "cases N". */
static inline void print_case_count(void)
{
    char line[32], *out = line;
    memcpy(out, "cases ", 6), out += 6;
    put_decimal(&out, (uint32_t)case_no);
    *out++ = '\n';
    *out = '\0';
    sh_print(line);
}

#endif /* BNNCC_FIRMWARE_CHECK_H */
