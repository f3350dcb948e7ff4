/* Client classification: Kea's expression language (1.4 tokens plus the
 * later hexstring/split/addrtotext/int*totext/lcase/ucase), compiled once
 * on the control thread to a small bytecode and evaluated per packet on a
 * worker without allocation or locks.
 *
 * Control thread (config load):
 *   reg = cls_registry_create();
 *   cls_registry_set_iface(reg, i, conf->ifaces[i].name) for every port;
 *   cls_registry_add(reg, name, test, flags, &err) for every client-class,
 *   in config order (member('x') may only name classes added before, or
 *   the builtins); cls_registry_intern(reg, name) for names that subnets,
 *   pools and hosts refer to.  The registry is then read-only and lives as
 *   long as the config snapshot that owns it.
 *
 * Worker (per packet):
 *   cls_classify(reg, pkt, rx, &set, CLS_STAGE_PRE_HOST);  ALL, VENDOR_CLASS_*,
 *       tests in config order; drop if cls_set_has(&set, CLS_ID_DROP)
 *   ... subnet selection, host lookup ...
 *   cls_set_known(&set, host != NULL); add the host's client-classes
 *   cls_classify(reg, pkt, rx, &set, CLS_STAGE_POST_HOST);  tests that
 *       depend on KNOWN/UNKNOWN
 *   ... pool selection, allocation ...
 *   cls_require(reg, pkt, rx, &set, &required);  only-if-required classes
 *
 * Values are byte strings (views into the packet, the compiled constants or
 * a bounded per-evaluation scratch buffer) or booleans; the type checker
 * keeps the two apart, so a mistake is a config error with a column, never
 * a surprise per packet.  What each token gives (Kea's conventions):
 *
 *   boolean  a == b, and, or, not, member('x'), option[N].exists,
 *            relay4[N].exists, vendor[E].exists, vendor[E].option[N].exists,
 *            vendor-class[E].exists
 *   string   'text', 0xhex, 192.0.2.1 (4 bytes), 2001:db8::1 (16), 123
 *            (4 bytes big endian), option[N].hex|.text (the value; "" if
 *            absent), relay4[N].hex|.text (option 82 sub-option), pkt.iface
 *            (port name), pkt.src|dst (4 bytes), pkt.len, pkt4.hlen|htype|
 *            msgtype (4-byte integers), pkt4.mac (hlen bytes), pkt4.ciaddr|
 *            giaddr|yiaddr|siaddr|transid (4 bytes), vendor.enterprise and
 *            vendor-class.enterprise (4 bytes), vendor[E].option[N].hex,
 *            vendor-class[E].data[I] (tuple I, default 0), substring,
 *            concat, ifelse, hexstring, split, addrtotext, [u]int{8,16,32}totext,
 *            lcase, ucase
 *   integer  literal only, where an argument asks for it: option codes,
 *            enterprise ids (or *), data index, substring start/length
 *            (or all), split field
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dhcp4_pkt;
struct dhcp4_rx;

#define CLS_MAX_CLASSES   256          /* ids 0..255, builtins included */
#define CLS_NAME_MAX      64           /* class name, with the NUL */
#define CLS_EXPR_MAX      4096         /* expression text, bytes */
#define CLS_STACK_MAX     16           /* value stack per evaluation */
#define CLS_SCRATCH_MAX   2048         /* bytes made per evaluation (concat, ucase...) */
#define CLS_MAX_IFACES    64
#define CLS_VENDOR_PREFIX "VENDOR_CLASS_"

/* Builtin class ids; user classes get ids from CLS_ID_FIRST_USER on. */
enum cls_builtin {
	CLS_ID_ALL = 0,
	CLS_ID_KNOWN = 1,
	CLS_ID_UNKNOWN = 2,
	CLS_ID_DROP = 3,        /* a packet in it is dropped (define it with a test) */
	CLS_ID_FIRST_USER = 4,
};

/* ------------------------------------------------------------ class sets */

struct cls_set {
	uint64_t w[CLS_MAX_CLASSES / 64];
};

static inline void cls_set_clear(struct cls_set *s)
{
	for (unsigned i = 0; i < CLS_MAX_CLASSES / 64; i++)
		s->w[i] = 0;
}

static inline void cls_set_add(struct cls_set *s, unsigned id)
{
	s->w[(id >> 6) & 3] |= 1ull << (id & 63);
}

static inline void cls_set_del(struct cls_set *s, unsigned id)
{
	s->w[(id >> 6) & 3] &= ~(1ull << (id & 63));
}

static inline bool cls_set_has(const struct cls_set *s, unsigned id)
{
	return (s->w[(id >> 6) & 3] >> (id & 63)) & 1;
}

/* True if the two sets share a class (a subnet's client-class list against
 * the packet's classes, for instance). */
static inline bool cls_set_intersects(const struct cls_set *a, const struct cls_set *b)
{
	uint64_t x = 0;

	for (unsigned i = 0; i < CLS_MAX_CLASSES / 64; i++)
		x |= a->w[i] & b->w[i];
	return x != 0;
}

static inline bool cls_set_empty(const struct cls_set *s)
{
	uint64_t x = 0;

	for (unsigned i = 0; i < CLS_MAX_CLASSES / 64; i++)
		x |= s->w[i];
	return x == 0;
}

/* The host lookup's outcome: KNOWN if a reservation was found, else UNKNOWN. */
static inline void cls_set_known(struct cls_set *s, bool known)
{
	cls_set_del(s, known ? CLS_ID_UNKNOWN : CLS_ID_KNOWN);
	cls_set_add(s, known ? CLS_ID_KNOWN : CLS_ID_UNKNOWN);
}

/* ---------------------------------------------------------------- errors */

struct cls_err {
	int col;                /* 1-based column in the expression, 0 = none */
	char msg[192];          /* "col 14: 'and' needs boolean operands, got string" */
};

/* ------------------------------------------------------------- compiling */

enum cls_type { CLS_T_BOOL = 1, CLS_T_STRING = 2 };

/* Which tokens are allowed: pkt4/relay4 belong to DHCPv4, option6/relay6/
 * pkt6 (reserved words today) to DHCPv6. */
enum cls_universe { CLS_V4 = 4, CLS_V6 = 6 };

struct cls_registry;
struct cls_prog;        /* compiled expression: one allocation, read-only */

struct cls_compile_params {
	const char *text;
	enum cls_type result;          /* CLS_T_BOOL for tests, CLS_T_STRING e.g. flex-id */
	enum cls_universe universe;    /* 0 = CLS_V4 */
	/* Resolves member('x'); may be NULL (then only the builtins resolve).
	 * VENDOR_CLASS_* names are interned into it. */
	struct cls_registry *reg;
};

/* Lex, parse, type check and compile.  NULL on error with errno EINVAL
 * and err filled (column and reason), or ENOMEM. */
struct cls_prog *cls_compile(const struct cls_compile_params *p, struct cls_err *err);
void cls_prog_free(struct cls_prog *p);

/* Facts about a compiled expression (for tests and the config dump). */
size_t cls_prog_code_len(const struct cls_prog *p);   /* bytecode bytes */
unsigned cls_prog_stack(const struct cls_prog *p);    /* deepest value stack */
bool cls_prog_depends_known(const struct cls_prog *p); /* KNOWN/UNKNOWN, directly or via member() */

/* ------------------------------------------------------------ evaluating */

/* What one evaluation sees.  rx and iface may be NULL/empty: pkt.src,
 * pkt.dst and pkt.iface are then empty strings. */
struct cls_env {
	const struct dhcp4_pkt *pkt;
	const struct dhcp4_rx *rx;
	const char *iface;             /* name of the receiving port, for pkt.iface */
	const struct cls_set *set;     /* member() tests against it; NULL = empty */
};

/* Bytes made while evaluating a string expression; the result may point
 * into it, so it must outlive the use of the result. */
struct cls_scratch {
	size_t used;
	uint8_t buf[CLS_SCRATCH_MAX];
};

/* Evaluate a CLS_T_BOOL program: 1 true, 0 false, or -errno:
 * -ENOSPC (scratch exhausted), -EDOM (a conversion such as addrtotext got
 * a value of the wrong size: Kea's EvalTypeError), -EINVAL (wrong type of
 * program).  Kea leaves a packet out of a class whose test fails; so does
 * cls_classify(). */
int cls_eval_bool(const struct cls_prog *p, const struct cls_env *env);

/* Evaluate a CLS_T_STRING program.  out and len get the result (a view into
 * the packet, the program or s).  Returns 0 or -errno as above. */
int cls_eval_str(const struct cls_prog *p, const struct cls_env *env,
		 struct cls_scratch *s, const uint8_t **out, size_t *len);

/* --------------------------------------------------------------- registry */

enum cls_flags {
	CLS_F_ONLY_IF_REQUIRED = 1u << 0,   /* Kea's only-if-required */
};

struct cls_registry *cls_registry_create(void);   /* NULL + errno */
void cls_registry_free(struct cls_registry *reg);

/* Define a class (config order).  test may be NULL or "" (no test: the
 * class is only ever assigned by a host reservation).  Returns the class
 * id (>= CLS_ID_FIRST_USER, or CLS_ID_DROP for "DROP"), or -errno with err
 * filled: -EEXIST defined twice, -EINVAL a bad name, a builtin (ALL,
 * KNOWN, UNKNOWN) or an expression error (err->col set), -ENOSPC too many
 * classes, -ENOMEM.  A name interned before (a forward reference from a
 * subnet) keeps its id. */
int cls_registry_add(struct cls_registry *reg, const char *name, const char *test,
		     unsigned flags, struct cls_err *err);

/* Id of a class name, or -ENOENT. */
int cls_registry_find(const struct cls_registry *reg, const char *name);

/* Id of a class name, reserving one without a definition if it is new
 * (names used by client-class, require-client-classes and host
 * reservations may name classes never defined, as in Kea).  -EINVAL for
 * a bad name, -ENOSPC when full. */
int cls_registry_intern(struct cls_registry *reg, const char *name);

const char *cls_registry_name(const struct cls_registry *reg, unsigned id);  /* NULL if unused */
unsigned cls_registry_count(const struct cls_registry *reg);                 /* ids in use */
bool cls_registry_defined(const struct cls_registry *reg, unsigned id);
bool cls_registry_required(const struct cls_registry *reg, unsigned id);     /* only-if-required */
bool cls_registry_depends_known(const struct cls_registry *reg, unsigned id);
const struct cls_prog *cls_registry_prog(const struct cls_registry *reg, unsigned id); /* NULL: no test */

/* Every defined class id in config order (n gets the count): the order in
 * which a class's option-data and boot fields are looked at (Kea walks the
 * packet's classes in the order they were assigned, which is this order). */
const uint8_t *cls_registry_order(const struct cls_registry *reg, unsigned *n);

/* The universe class tests are compiled for (CLS_V4 by default): the
 * DHCPv6 configuration's registry is CLS_V6, so its tests may use the
 * DHCPv6 tokens and not the DHCPv4 ones.  Before the first class is
 * added; 0 or -EINVAL. */
int cls_registry_set_universe(struct cls_registry *reg, enum cls_universe u);

/* Name of the receiving port (struct dhcp4_rx.iface) for pkt.iface. */
int cls_registry_set_iface(struct cls_registry *reg, unsigned idx, const char *name);

/* --------------------------------------------------------- classification */

enum cls_stage {
	/* Clears the set, adds ALL and VENDOR_CLASS_<option 60> (when a class
	 * of that name is known to the registry) and evaluates, in config
	 * order, the tests that neither depend on KNOWN/UNKNOWN nor are
	 * only-if-required. */
	CLS_STAGE_PRE_HOST,
	/* After cls_set_known() (and the host's classes): evaluates the tests
	 * that depend on KNOWN/UNKNOWN, in config order. */
	CLS_STAGE_POST_HOST,
};

/* How many things a stage does: PRE_HOST its tests plus the
 * VENDOR_CLASS_* names it may assign, POST_HOST its tests.  0: the stage
 * can be skipped (PRE_HOST then leaves just ALL). */
unsigned cls_registry_stage_work(const struct cls_registry *reg, enum cls_stage stage);

/* Returns how many tests failed to evaluate (those classes are not
 * assigned; the caller counts them), or -EINVAL for a bad stage. */
int cls_classify(const struct cls_registry *reg, const struct dhcp4_pkt *pkt,
		 const struct dhcp4_rx *rx, struct cls_set *set, enum cls_stage stage);

/* ------------------------------------------------------ classification cache
 *
 * The PRE_HOST stage is a function of the values its tests read (their
 * input tokens: option[60], a substring of pkt4.mac, pkt4.giaddr...),
 * nothing else.  A worker's cache remembers the classes (and the count of
 * failed tests) for the last such value tuples it saw, keyed by the exact
 * bytes, as a flow cache keys on the masked header fields its rules look
 * at: DISCOVER and REQUEST of one client, and clients that differ only in
 * what no test reads, are classified once.  A tuple that does not fit the
 * key buffer is classified directly; when fewer than one lookup in eight
 * hits over a window (tests reading pkt4.transid, a whole MAC...), the
 * cache steps aside for a while and classifies directly.
 *
 * One cache per worker, never shared.  It follows registry changes by
 * itself (a registry's generation is part of every entry). */
struct cls_cache;

/* What a cache counts, in this order: answered from the cache, classified
 * and remembered, classified directly (cache stepped aside, key too long,
 * more inputs than a key can name). */
enum cls_cache_counter { CLS_CACHE_HITS, CLS_CACHE_MISSES, CLS_CACHE_DIRECT, CLS_CACHE_COUNTERS };

/* counters: CLS_CACHE_COUNTERS consecutive counters the cache adds to (a
 * worker's statistics), or NULL to keep its own.  NULL + errno. */
struct cls_cache *cls_cache_create(uint64_t *counters);
void cls_cache_free(struct cls_cache *c);
const uint64_t *cls_cache_counters(const struct cls_cache *c);

/* cls_classify(reg, pkt, rx, set, CLS_STAGE_PRE_HOST) through the cache
 * (c may be NULL): the same set, the same return value. */
int cls_classify_cached(const struct cls_registry *reg, struct cls_cache *c,
			const struct dhcp4_pkt *pkt, const struct dhcp4_rx *rx, struct cls_set *set);

/* Evaluate, in config order, each class of `required` that has a test
 * (Kea's require-client-classes: shared network, subnet and pool lists
 * merged by the caller), adding those that match.  Returns how many
 * failed to evaluate. */
int cls_require(const struct cls_registry *reg, const struct dhcp4_pkt *pkt,
		const struct dhcp4_rx *rx, struct cls_set *set, const struct cls_set *required);
