/* Start-up code for a Cortex-M board: the vector table, the reset handler (copy .data from flash,
 * zero .bss, enable the FPU, call main, exit with its status) and a fault handler that reports
 * the fault through semihosting and stops. Symbols come from the linker script (board.ld). */
#include <stdint.h>
#include <string.h>

#include "semihosting.h"

extern uint32_t __data_load[], __data_start[], __data_end[], __bss_start[], __bss_end[], __stack_top[];
int main(void);

void bnncc_reset(void);
void bnncc_fault(void);

/* The System Control Block registers the handlers read. */
#define SCB_CPACR (*(volatile uint32_t *)0xE000ED88u)   /* coprocessor access: CP10/CP11 = FPU */
#define SCB_CFSR (*(volatile uint32_t *)0xE000ED28u)    /* configurable fault status */
#define SCB_HFSR (*(volatile uint32_t *)0xE000ED2Cu)    /* hard fault status */

__attribute__((noreturn)) void bnncc_reset(void)
{
    memcpy(__data_start, __data_load, (size_t)((char *)__data_end - (char *)__data_start));
    memset(__bss_start, 0, (size_t)((char *)__bss_end - (char *)__bss_start));
#if defined(__ARM_FP)
    SCB_CPACR |= 0xFu << 20;                     /* full access to CP10 and CP11 */
    __asm__ volatile("dsb\n\tisb" ::: "memory");
#endif
    sh_exit(main());
}

/* Appends `value` in hexadecimal (8 digits) or decimal (digits > 0: that many) at *out. */
static void put_number(char **out, uint32_t value, int base, int digits)
{
    int i;
    for (i = digits - 1; i >= 0; --i, value /= (uint32_t)base) (*out)[i] = "0123456789abcdef"[value % (uint32_t)base];
    *out += digits;
}

static void put_text(char **out, const char *text)
{
    while (*text) *(*out)++ = *text++;
}

/* One line naming the exception and the fault status registers, then exit status 70:
 *   bnncc firmware fault: exception 3, CFSR 0x00008200, HFSR 0x40000000 */
__attribute__((noreturn)) void bnncc_fault(void)
{
    char line[96], *out = line;
    uint32_t ipsr;
    __asm__ volatile("mrs %0, ipsr" : "=r"(ipsr));
    put_text(&out, "bnncc firmware fault: exception ");
    put_number(&out, ipsr & 0x1FFu, 10, ipsr >= 100 ? 3 : ipsr >= 10 ? 2 : 1);
    put_text(&out, ", CFSR 0x");
    put_number(&out, SCB_CFSR, 16, 8);
    put_text(&out, ", HFSR 0x");
    put_number(&out, SCB_HFSR, 16, 8);
    put_text(&out, "\n");
    *out = '\0';
    sh_print(line);
    sh_exit(70);
}

/* Initial stack pointer, then the handlers of exceptions 1-15 (reset, NMI, the faults, SVCall,
 * PendSV, SysTick); no interrupt is enabled, so the external ones are left out. */
__attribute__((section(".vectors"), used)) static void (*const vectors[16])(void) = {
    (void (*)(void))__stack_top, bnncc_reset, bnncc_fault, bnncc_fault, bnncc_fault, bnncc_fault, bnncc_fault,
    0, 0, 0, 0, bnncc_fault, bnncc_fault, 0, bnncc_fault, bnncc_fault,
};
