#include <errno.h>
#include <string.h>
#include <CUnit/Basic.h>
#include "gate.h"

#define STORE 1u
#define PEER 2u

struct seen {
	unsigned n;
	uintptr_t pkt[64];
	enum gate_outcome o[64];
	uint8_t why[64];
};

static void emit(void *ctx, const struct gate_item *it, enum gate_outcome o)
{
	struct seen *s = ctx;

	s->pkt[s->n] = (uintptr_t)it->pkt;
	s->why[s->n] = it->refused;
	s->o[s->n++] = o;
}

static struct gate_item item(uintptr_t pkt, uint64_t seq, uint64_t deadline, uint8_t on_timeout)
{
	struct gate_item it = { .pkt = (void *)pkt, .seq = seq, .deadline = deadline,
				.on_timeout = on_timeout };
	return it;
}

static struct lease_log *two_consumers(void)
{
	struct lease_log_params lp = { .size = 64 };
	struct lease_log *log = lease_log_create(&lp);

	CU_ASSERT_FATAL(log != NULL);
	CU_ASSERT_EQUAL(lease_log_consumer_add(log, LEASE_LOG_HOLD, NULL), 0);   /* store */
	CU_ASSERT_EQUAL(lease_log_consumer_add(log, LEASE_LOG_LOSSY, NULL), 1);  /* HA peer */
	return log;
}

static void test_out_of_order(void)
{
	struct gate_params gp = { .lane_size = 8 };
	struct gate *g = gate_create(&gp);
	struct lease_log *log = two_consumers();
	struct seen s = { 0 };
	struct gate_item a = item(1, 1, 1000, GATE_DROP), b = item(2, 2, 1000, GATE_DROP),
			 c = item(3, 3, 1000, GATE_DROP);

	CU_ASSERT_PTR_NOT_NULL_FATAL(g);
	CU_ASSERT_EQUAL(gate_park(g, STORE, &a), 0);
	CU_ASSERT_EQUAL(gate_park(g, STORE | PEER, &b), 0);   /* needs the partner too */
	CU_ASSERT_EQUAL(gate_park(g, STORE, &c), 0);
	CU_ASSERT_EQUAL(gate_parked(g), 3);
	CU_ASSERT_EQUAL(gate_poll(g, log, 0, emit, &s), 0);
	/* the store has all three: 1 and 3 leave, 2 waits for the partner */
	lease_log_publish(log, 0, 3);
	CU_ASSERT_EQUAL(gate_poll(g, log, 0, emit, &s), 2);
	CU_ASSERT_EQUAL(s.n, 2);
	CU_ASSERT_EQUAL(s.pkt[0], 1);
	CU_ASSERT_EQUAL(s.pkt[1], 3);
	CU_ASSERT_EQUAL(s.o[0], GATE_SEND);
	CU_ASSERT_EQUAL(s.o[1], GATE_SEND);
	lease_log_publish(log, 1, 2);
	CU_ASSERT_EQUAL(gate_poll(g, log, 0, emit, &s), 1);
	CU_ASSERT_EQUAL(s.pkt[2], 2);
	CU_ASSERT_EQUAL(s.o[2], GATE_SEND);
	CU_ASSERT_EQUAL(gate_parked(g), 0);
	gate_free(g);
	lease_log_free(log);
}

static void test_deadlines(void)
{
	struct gate_params gp = { .lane_size = 4 };
	struct gate *g = gate_create(&gp);
	struct lease_log *log = two_consumers();
	struct seen s = { 0 };
	struct gate_item d = item(4, 4, 100, GATE_DROP), e = item(5, 5, 200, GATE_NAK),
			 f = item(6, 6, 300, GATE_DROP);

	CU_ASSERT_PTR_NOT_NULL_FATAL(g);
	CU_ASSERT_EQUAL(gate_park(g, STORE, &d), 0);
	CU_ASSERT_EQUAL(gate_park(g, STORE, &e), 0);
	CU_ASSERT_EQUAL(gate_park(g, STORE, &f), 0);
	CU_ASSERT_EQUAL(gate_poll(g, log, 99, emit, &s), 0);
	CU_ASSERT_EQUAL(gate_poll(g, log, 150, emit, &s), 1);
	CU_ASSERT_EQUAL(s.pkt[0], 4);
	CU_ASSERT_EQUAL(s.o[0], GATE_DROP);
	CU_ASSERT_EQUAL(gate_poll(g, log, 250, emit, &s), 1);
	CU_ASSERT_EQUAL(s.pkt[1], 5);
	CU_ASSERT_EQUAL(s.o[1], GATE_NAK);
	/* durable before its deadline: sent, whatever the clock says now */
	lease_log_publish(log, 0, 6);
	CU_ASSERT_EQUAL(gate_poll(g, log, 1000, emit, &s), 1);
	CU_ASSERT_EQUAL(s.o[2], GATE_SEND);
	gate_free(g);
	lease_log_free(log);
}

static void test_limits_and_flush(void)
{
	struct gate_params gp = { .lane_size = 2 };
	struct gate *g = gate_create(&gp);
	struct lease_log *log = two_consumers();
	struct seen s = { 0 };
	struct gate_item x = item(7, 1, 10, GATE_DROP), y = item(8, 2, 10, GATE_DROP);

	CU_ASSERT_PTR_NOT_NULL_FATAL(g);
	CU_ASSERT_EQUAL(gate_park(g, 0, &x), -EINVAL);
	CU_ASSERT_EQUAL(gate_park(g, STORE, &x), 0);
	CU_ASSERT_EQUAL(gate_park(g, STORE, &y), 0);
	CU_ASSERT_EQUAL(gate_park(g, STORE, &y), -ENOBUFS);
	CU_ASSERT_EQUAL(gate_park(g, PEER, &y), 0);
	CU_ASSERT_EQUAL(gate_park(g, 4, &y), 0);
	CU_ASSERT_EQUAL(gate_park(g, 8, &y), 0);
	CU_ASSERT_EQUAL(gate_park(g, 16, &y), -ENOSPC);
	CU_ASSERT_EQUAL(gate_parked(g), 5);
	lease_log_publish(log, 0, 1);
	CU_ASSERT_EQUAL(gate_flush(g, log, emit, &s), 5);
	CU_ASSERT_EQUAL(s.o[0], GATE_SEND);        /* durable */
	for (unsigned i = 1; i < 5; i++)
		CU_ASSERT_EQUAL(s.o[i], GATE_DROP);
	CU_ASSERT_EQUAL(gate_parked(g), 0);
	gate_free(g);
	lease_log_free(log);
	gp.lane_size = 3;
	CU_ASSERT_PTR_NULL(gate_create(&gp));
}

/* A refused change's reply leaves as GATE_REFUSED, the others as usual;
 * a snapshot taken before the refusal bounds what a poll releases. */
static void test_refuse(void)
{
	struct gate_params gp = { .lane_size = 8 };
	struct gate *g = gate_create(&gp);
	struct lease_log *log = two_consumers();
	struct seen s = { 0 };
	struct gate_item a = item(1, 1, 1000, GATE_DROP), b = item(2, 2, 1000, GATE_DROP),
			 c = item(3, 3, 1000, GATE_DROP);
	uint64_t safe[GATE_MAX_LANES];

	CU_ASSERT_PTR_NOT_NULL_FATAL(g);
	CU_ASSERT_EQUAL(gate_park(g, STORE, &a), 0);
	CU_ASSERT_EQUAL(gate_park(g, STORE, &b), 0);
	CU_ASSERT_EQUAL(gate_park(g, STORE, &c), 0);
	gate_snapshot(g, log, safe);           /* nothing durable yet */
	lease_log_publish(log, 0, 3);          /* ... and now all three */
	CU_ASSERT_EQUAL(gate_refuse(g, 2), 0);
	CU_ASSERT_EQUAL(gate_refuse(g, 7), -ENOENT);
	CU_ASSERT_EQUAL(gate_poll_at(g, safe, 0, emit, &s), 0);   /* the old snapshot */
	gate_snapshot(g, log, safe);
	CU_ASSERT_EQUAL(gate_poll_at(g, safe, 0, emit, &s), 3);
	CU_ASSERT_EQUAL(s.o[0], GATE_SEND);
	CU_ASSERT_EQUAL(s.o[1], GATE_REFUSED);
	CU_ASSERT_EQUAL(s.pkt[1], 2);
	CU_ASSERT_EQUAL(s.o[2], GATE_SEND);
	/* at shutdown a refused reply is dropped, never sent */
	CU_ASSERT_EQUAL(gate_park(g, STORE, &(struct gate_item){ .pkt = (void *)4, .seq = 3 }), 0);
	CU_ASSERT_EQUAL(gate_refuse(g, 3), 0);
	CU_ASSERT_EQUAL(gate_flush(g, log, emit, &s), 1);
	CU_ASSERT_EQUAL(s.o[3], GATE_DROP);
	gate_free(g);
	lease_log_free(log);
}

/* The HA partner's refusals: a reply waiting for the partner's
 * watermark leaves refused, and the emit callback can tell who refused. */
static void test_refuse_why(void)
{
	struct gate_params gp = { .lane_size = 8 };
	struct gate *g = gate_create(&gp);
	struct lease_log *log = two_consumers();
	struct seen s = { 0 };
	struct gate_item a = item(1, 1, 1000, GATE_DROP), b = item(2, 2, 1000, GATE_DROP),
			 c = item(3, 3, 1000, GATE_DROP);

	CU_ASSERT_PTR_NOT_NULL_FATAL(g);
	CU_ASSERT_EQUAL(gate_park(g, PEER, &a), 0);
	CU_ASSERT_EQUAL(gate_park(g, PEER | STORE, &b), 0);
	CU_ASSERT_EQUAL(gate_park(g, PEER, &c), 0);
	CU_ASSERT_EQUAL(gate_refuse_as(g, 3, GATE_WHY_HA), 0);
	CU_ASSERT_EQUAL(gate_refuse_as(g, 2, GATE_WHY_STORE), 0);
	lease_log_publish(log, 1, 3);           /* the partner's watermark */
	CU_ASSERT_EQUAL(gate_poll(g, log, 0, emit, &s), 2);   /* b still waits for the store */
	CU_ASSERT_EQUAL(s.o[0], GATE_SEND);
	CU_ASSERT_EQUAL(s.why[0], 0);
	CU_ASSERT_EQUAL(s.o[1], GATE_REFUSED);
	CU_ASSERT_EQUAL(s.pkt[1], 3);
	CU_ASSERT_EQUAL(s.why[1], GATE_WHY_HA);
	lease_log_publish(log, 0, 3);
	CU_ASSERT_EQUAL(gate_poll(g, log, 0, emit, &s), 1);
	CU_ASSERT_EQUAL(s.o[2], GATE_REFUSED);
	CU_ASSERT_EQUAL(s.why[2], GATE_WHY_STORE);
	/* a range the partner never saw: only the lanes that wait for it */
	CU_ASSERT_EQUAL(gate_park(g, PEER, &(struct gate_item){ .pkt = (void *)4, .seq = 4 }), 0);
	CU_ASSERT_EQUAL(gate_park(g, STORE, &(struct gate_item){ .pkt = (void *)5, .seq = 5 }), 0);
	CU_ASSERT_EQUAL(gate_park(g, PEER, &(struct gate_item){ .pkt = (void *)6, .seq = 6 }), 0);
	CU_ASSERT_EQUAL(gate_park(g, PEER, &(struct gate_item){ .pkt = (void *)9, .seq = 9 }), 0);
	CU_ASSERT_EQUAL(gate_refuse_range(g, PEER, 5, 8, GATE_WHY_HA), 1);   /* 6 only */
	lease_log_publish(log, 0, 9);
	lease_log_publish(log, 1, 9);
	CU_ASSERT_EQUAL(gate_poll(g, log, 0, emit, &s), 4);
	for (unsigned i = 3; i < 7; i++)
		CU_ASSERT_EQUAL(s.o[i], s.pkt[i] == 6 ? GATE_REFUSED : GATE_SEND);
	gate_free(g);
	lease_log_free(log);
}

int main(void)
{
	CU_pSuite s;
	unsigned fails;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	s = CU_add_suite("gate", NULL, NULL);
	CU_add_test(s, "lanes release out of order", test_out_of_order);
	CU_add_test(s, "deadlines and outcomes", test_deadlines);
	CU_add_test(s, "limits, flush", test_limits_and_flush);
	CU_add_test(s, "refused changes, snapshot", test_refuse);
	CU_add_test(s, "refused by the HA partner or the store", test_refuse_why);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	fails = CU_get_number_of_failures();
	CU_cleanup_registry();
	return fails ? 1 : 0;
}
