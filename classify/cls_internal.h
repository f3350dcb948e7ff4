/* classify/ internals shared by the compiler, the evaluator and the
 * registry.  Not a public header. */
#pragma once
#include "cls.h"

/* Bytecode.  One opcode byte, then its operands, little endian and
 * unaligned (read with memcpy).  Forward jumps only: 'a or b' is
 * [a] JOR [b], where JOR skips [b] when a is true and otherwise drops a
 * ('and' likewise with JAND), but only when nothing in [b] can fail to
 * evaluate; otherwise it is [a] [b] OR, both sides run as in Kea, and a
 * failing right-hand side fails the test the same way.  Skipping a side
 * that cannot fail, and has no effects, is not observable.  The compiler
 * fuses a constant followed by '==' into EQC (same size as the constant,
 * in place). */
#define CLS_OPS(X)                                                      \
	X(END,        0)  /* end of program */                          \
	X(STR,        4)  /* u16 offset, u16 length into the constants */ \
	X(OPT,        1)  /* u8 code: option value, "" if absent */     \
	X(OPT_EX,     1)  /* u8 code: option present */                 \
	X(RAI,        1)  /* u8 sub-option of option 82 */              \
	X(RAI_EX,     1)                                                \
	X(IFACE,      0)                                                \
	X(SRC,        0)                                                \
	X(DST,        0)                                                \
	X(LEN,        0)                                                \
	X(MAC,        0)                                                \
	X(HLEN,       0)                                                \
	X(HTYPE,      0)                                                \
	X(CIADDR,     0)                                                \
	X(GIADDR,     0)                                                \
	X(YIADDR,     0)                                                \
	X(SIADDR,     0)                                                \
	X(MSGTYPE,    0)                                                \
	X(TRANSID,    0)                                                \
	X(VEN_ENT,    0)  /* vendor.enterprise (option 125) */          \
	X(VEN_EX,     4)  /* u32 enterprise, 0 = any */                 \
	X(VEN_OPT,    5)  /* u32 enterprise, u8 sub-option */           \
	X(VEN_OPT_EX, 5)                                                \
	X(VCL_ENT,    0)  /* vendor-class.enterprise (option 124) */    \
	X(VCL_EX,     4)  /* u32 enterprise */                          \
	X(VCL_DATA,   5)  /* u32 enterprise, u8 tuple index */          \
	X(EQ,         0)                                                \
	X(EQC,        4)  /* u16 offset, u16 length: top == constant */ \
	X(NOT,        0)                                                \
	X(AND,        0)                                                \
	X(OR,         0)                                                \
	X(JOR,        2)  /* u16: top true: skip that many bytes, else pop */ \
	X(JAND,       2)  /* u16: top false: skip that many bytes, else pop */ \
	X(MEMBER,     1)  /* u8 class id */                             \
	X(SUBSTR,     9)  /* i32 start, i32 length, u8 1 = all */       \
	X(CONCAT,     0)                                                \
	X(IFELSE,     0)                                                \
	X(HEXSTR,     0)                                                \
	X(SPLIT,      4)  /* i32 field */                               \
	X(ADDR2TXT,   0)                                                \
	X(I8TXT,      0)                                                \
	X(I16TXT,     0)                                                \
	X(I32TXT,     0)                                                \
	X(U8TXT,      0)                                                \
	X(U16TXT,     0)                                                \
	X(U32TXT,     0)                                                \
	X(LCASE,      0)                                                \
	X(UCASE,      0)

enum cls_op {
#define X(n, a) CLS_OP_##n,
	CLS_OPS(X)
#undef X
	CLS_OP_MAX
};

extern const uint8_t cls_op_argbytes[CLS_OP_MAX];

struct cls_prog {
	uint8_t result;          /* enum cls_type */
	uint8_t stack;           /* deepest stack the code reaches */
	uint8_t depends_known;
	uint8_t pad;
	uint16_t code_len;
	uint16_t const_len;
	uint8_t code[];          /* code_len bytes of code, then the constants */
};

/* What the programs of a stage read, as the classification cache's key
 * (two packets with the same key get the same classes):
 *  - header bytes: a mask over the fixed BOOTP header up to chaddr's end
 *    (pkt4.mac with a constant substring() reads hlen and just the slice's
 *    chaddr bytes), copied as runs;
 *  - atoms: every other input op with its operands, and the constant
 *    substring() that takes its value at once, if one does (then only that
 *    slice matters).  option[N] carries presence too, which covers
 *    option[N].exists. */
#define CLS_ATOMS_MAX 32
#define CLS_HDR_KEY_BYTES 44     /* op .. chaddr */
#define CLS_RUNS_MAX 22
struct cls_atom {
	uint8_t op;              /* CLS_OP_OPT .. CLS_OP_VCL_DATA, not a header op */
	uint8_t arg[5];          /* cls_op_argbytes[op] of them, rest zero */
	uint8_t sliced;          /* 1: CLS_OP_SUBSTR with sub[] follows */
	uint8_t sub[9];
};

struct cls_keyplan {
	uint64_t hdr;            /* bit i: header byte i */
	uint8_t run_off[CLS_RUNS_MAX], run_len[CLS_RUNS_MAX];
	unsigned n_runs;
	struct cls_atom atoms[CLS_ATOMS_MAX];
	unsigned n_atoms;
	bool full;               /* more than CLS_ATOMS_MAX atoms: never cached */
};

/* Add what p reads, or one atom, to the plan. */
void cls_plan_add_prog(struct cls_keyplan *pl, const struct cls_prog *p);
void cls_plan_add_atom(struct cls_keyplan *pl, const struct cls_atom *a);

/* The value an atom gives for the packet in env (its input op's value,
 * then its substring if sliced): *p NULL for a boolean (*n 0/1).  0, or
 * -1 when the scratch is full. */
int cls_atom_value(const struct cls_atom *a, const struct cls_env *env, struct cls_scratch *s,
		   const uint8_t **p, uint32_t *n);

struct cls_class {
	char name[CLS_NAME_MAX];
	bool used;               /* id taken (defined or interned) */
	bool defined;            /* cls_registry_add'ed */
	bool required;           /* only-if-required */
	bool depends_known;
	struct cls_prog *prog;   /* NULL: no test */
};

struct cls_step {
	const struct cls_prog *prog;
	uint8_t id;
};

struct cls_registry {
	unsigned n_ids;                              /* ids 0..n_ids-1 taken */
	struct cls_class cls[CLS_MAX_CLASSES];
	/* Evaluation order, precomputed so the worker only walks arrays. */
	struct cls_step pre[CLS_MAX_CLASSES];        /* PRE_HOST tests */
	unsigned n_pre;
	struct cls_step post[CLS_MAX_CLASSES];       /* POST_HOST tests */
	unsigned n_post;
	struct cls_step order[CLS_MAX_CLASSES];      /* every defined class with a test */
	unsigned n_order;
	uint8_t defined[CLS_MAX_CLASSES];            /* every defined class, config order */
	unsigned n_defined;
	/* VENDOR_CLASS_<value> classes: value (into cls[].name) -> id */
	struct {
		const char *value;
		uint8_t len;
		uint8_t id;
	} vendor[CLS_MAX_CLASSES];
	unsigned n_vendor;
	char iface[CLS_MAX_IFACES][32];
	enum cls_universe universe;                  /* of the tests, 0 = CLS_V4 */
	/* What the PRE_HOST stage reads (option 60 too once a VENDOR_CLASS_*
	 * exists). */
	struct cls_keyplan pre_plan;
	/* Changes whenever a class or name is added (process-wide counter), so
	 * a cache filled from another registry, or from this one before a
	 * change, is never consulted. */
	uint64_t gen;
};

/* Evaluate each step's test in order (env->set is `set`, which sees
 * the classes added so far), adding the class of each true one to set.
 * Returns how many failed to evaluate. */
int cls_eval_steps(const struct cls_step *steps, unsigned n, const struct cls_env *env,
		   struct cls_set *set);

/* For the compiler: id of a class member() may name (defined before, or a
 * builtin; VENDOR_CLASS_* names are interned), *dep_known set if testing
 * it means depending on KNOWN/UNKNOWN.  -ENOENT if not allowed. */
int cls_registry_member(struct cls_registry *reg, const char *name, size_t len, bool *dep_known);
