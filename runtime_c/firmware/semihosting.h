/* Arm semihosting for Cortex-M: a debugger (or qemu-system-arm -semihosting-config enable=on)
 * serves file I/O and the exit of a program on a board with no OS. A call is `bkpt 0xAB` with the
 * operation in r0 and a pointer to its argument block in r1; the result comes back in r0.
 * Operations: Arm's "Semihosting for AArch32 and AArch64", version 2. */
#ifndef BNNCC_SEMIHOSTING_H
#define BNNCC_SEMIHOSTING_H

#include <stddef.h>
#include <stdint.h>

enum {
    SH_SYS_OPEN = 0x01, SH_SYS_CLOSE = 0x02, SH_SYS_WRITE0 = 0x04, SH_SYS_WRITE = 0x05, SH_SYS_READ = 0x06,
    SH_SYS_FLEN = 0x0C, SH_SYS_GET_CMDLINE = 0x15, SH_SYS_EXIT_EXTENDED = 0x20
};
enum { SH_OPEN_READ_BINARY = 1, SH_OPEN_WRITE_BINARY = 5 };   /* fopen modes "rb" and "wb" */
#define SH_APPLICATION_EXIT 0x20026u                            /* ADP_Stopped_ApplicationExit */

static inline intptr_t sh_call(uintptr_t op, const void *args)
{
    register uintptr_t r0 __asm__("r0") = op;
    register const void *r1 __asm__("r1") = args;
    __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
    return (intptr_t)r0;
}

static inline size_t sh_strlen(const char *s)
{
    size_t n = 0;
    while (s[n]) ++n;
    return n;
}

/* A host file handle, or -1. */
static inline intptr_t sh_open(const char *path, uintptr_t mode)
{
    const uintptr_t args[3] = {(uintptr_t)path, mode, sh_strlen(path)};
    return sh_call(SH_SYS_OPEN, args);
}

static inline void sh_close(intptr_t handle)
{
    const uintptr_t args[1] = {(uintptr_t)handle};
    sh_call(SH_SYS_CLOSE, args);
}

/* Bytes read or written (the calls return how many were NOT transferred). */
static inline size_t sh_read(intptr_t handle, void *buffer, size_t bytes)
{
    const uintptr_t args[3] = {(uintptr_t)handle, (uintptr_t)buffer, bytes};
    return bytes - (size_t)sh_call(SH_SYS_READ, args);
}

static inline size_t sh_write(intptr_t handle, const void *buffer, size_t bytes)
{
    const uintptr_t args[3] = {(uintptr_t)handle, (uintptr_t)buffer, bytes};
    return bytes - (size_t)sh_call(SH_SYS_WRITE, args);
}

static inline intptr_t sh_file_length(intptr_t handle)
{
    const uintptr_t args[1] = {(uintptr_t)handle};
    return sh_call(SH_SYS_FLEN, args);
}

/* A line on the debug console (qemu: its standard output). */
static inline void sh_print(const char *text) { sh_call(SH_SYS_WRITE0, text); }

/* The program's command line (qemu: -semihosting-config arg=...), NUL-terminated; 0 on success. */
static inline int sh_command_line(char *buffer, size_t size)
{
    uintptr_t args[2] = {(uintptr_t)buffer, size};
    return (int)sh_call(SH_SYS_GET_CMDLINE, args);
}

/* Ends the program with exit status `status` (qemu exits with it). */
__attribute__((noreturn)) static inline void sh_exit(int status)
{
    const uintptr_t args[2] = {SH_APPLICATION_EXIT, (uintptr_t)status};
    sh_call(SH_SYS_EXIT_EXTENDED, args);
    for (;;) {
    }
}

#endif /* BNNCC_SEMIHOSTING_H */
