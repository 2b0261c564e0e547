/* A qemu-user TCG plugin (plugin API 1, qemu 7.2 and later): counts the guest instructions a
 * program executes, and where it calls bnncc_mark_layer() (a layer boundary of an artifact built
 * with -DBNNCC_MARK_LAYERS), the count at each call. At exit it prints, through qemu's log
 * (-d plugin):
 *     insns N
 *     marks M1 M2 ...
 * Counts are per translation block, added when a block starts: exact totals, and marks exact up to
 * the few instructions of the marker's own block. The API is declared here (no qemu headers needed).
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

typedef uint64_t qemu_plugin_id_t;
typedef struct qemu_info_t qemu_info_t;
struct qemu_plugin_tb;
struct qemu_plugin_insn;
enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_CB_R_REGS, QEMU_PLUGIN_CB_RW_REGS };
enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 };
typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);
typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t id, void *userdata);
typedef void (*qemu_plugin_vcpu_udata_cb_t)(unsigned int vcpu_index, void *userdata);
void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, qemu_plugin_vcpu_tb_trans_cb_t cb);
void qemu_plugin_register_vcpu_tb_exec_inline(struct qemu_plugin_tb *tb, enum qemu_plugin_op op, void *ptr,
                                              uint64_t imm);
void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *insn, qemu_plugin_vcpu_udata_cb_t cb,
                                            enum qemu_plugin_cb_flags flags, void *userdata);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, qemu_plugin_udata_cb_t cb, void *userdata);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb, size_t idx);
const char *qemu_plugin_insn_symbol(const struct qemu_plugin_insn *insn);
void qemu_plugin_outs(const char *string);

__attribute__((visibility("default"))) int qemu_plugin_version = 1;

#define MAX_MARKS 100000
static uint64_t insns;                 /* one vCPU's worth: run the marked program single-threaded */
static uint64_t marks[MAX_MARKS];
static size_t n_marks;

static void on_mark(unsigned int vcpu, void *userdata)
{
    (void)vcpu; (void)userdata;
    if (n_marks < MAX_MARKS) marks[n_marks++] = insns;
}

static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    struct qemu_plugin_insn *first = qemu_plugin_tb_get_insn(tb, 0);
    const char *symbol = first ? qemu_plugin_insn_symbol(first) : NULL;
    (void)id;
    qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &insns, qemu_plugin_tb_n_insns(tb));
    /* a block that starts in the marker is its entry: the marker is a leaf of a few instructions */
    if (symbol && strcmp(symbol, "bnncc_mark_layer") == 0)
        qemu_plugin_register_vcpu_insn_exec_cb(first, on_mark, QEMU_PLUGIN_CB_NO_REGS, NULL);
}

static void on_exit(qemu_plugin_id_t id, void *userdata)
{
    char line[32];
    size_t i;
    (void)id; (void)userdata;
    snprintf(line, sizeof line, "insns %" PRIu64 "\nmarks", insns);
    qemu_plugin_outs(line);
    for (i = 0; i < n_marks; ++i) {
        snprintf(line, sizeof line, " %" PRIu64, marks[i]);
        qemu_plugin_outs(line);
    }
    qemu_plugin_outs("\n");
}

__attribute__((visibility("default"))) int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
                                                               int argc, char **argv)
{
    (void)info; (void)argc; (void)argv;
    qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
    qemu_plugin_register_atexit_cb(id, on_exit, NULL);
    return 0;
}
