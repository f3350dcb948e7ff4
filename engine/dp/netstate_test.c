/* The network state: origins apart, periods, families apart. */
#include <CUnit/Basic.h>

#include "netstate.h"

static bool off(struct netstate *ns, unsigned f, uint32_t now)
{
	return now < netstate_until(ns, f);
}

static void test_origins(void)
{
	struct netstate ns;
	enum netstate_origin o;

	netstate_init(&ns);
	CU_ASSERT(!off(&ns, 0, 100) && !off(&ns, 1, 100));
	/* the partner turns v4 off for 10 s, an operator both for good */
	netstate_disable(&ns, NETSTATE_V4, NETSTATE_HA_PARTNER, 100, 10);
	CU_ASSERT(off(&ns, 0, 105) && !off(&ns, 1, 105));
	netstate_disable(&ns, NETSTATE_BOTH, NETSTATE_USER, 100, 0);
	CU_ASSERT(off(&ns, 0, 200) && off(&ns, 1, 200));
	/* the operator's enable ends only the operator's disable */
	netstate_enable(&ns, NETSTATE_BOTH, NETSTATE_USER);
	CU_ASSERT(off(&ns, 0, 105) && !off(&ns, 1, 105));
	CU_ASSERT(!off(&ns, 0, 110));           /* the partner's period ran out */
	CU_ASSERT(netstate_off_by(&ns, 0, NETSTATE_HA_PARTNER, 109));
	CU_ASSERT(!netstate_off_by(&ns, 0, NETSTATE_USER, 109));
	/* the partner enables before its period ends */
	netstate_disable(&ns, NETSTATE_V4, NETSTATE_HA_PARTNER, 200, 60);
	netstate_disable(&ns, NETSTATE_V4, NETSTATE_DB, 200, 0);
	netstate_enable(&ns, NETSTATE_V4, NETSTATE_HA_PARTNER);
	CU_ASSERT(off(&ns, 0, 210));            /* the database is still away */
	netstate_enable(&ns, NETSTATE_V4, NETSTATE_DB);
	CU_ASSERT(!off(&ns, 0, 210));
	/* a later disable of one origin replaces its earlier one */
	netstate_disable(&ns, NETSTATE_V6, NETSTATE_USER, 300, 0);
	netstate_disable(&ns, NETSTATE_V6, NETSTATE_USER, 300, 5);
	CU_ASSERT(off(&ns, 1, 304) && !off(&ns, 1, 305));
	CU_ASSERT(netstate_origin_parse("user", &o) == 0 && o == NETSTATE_USER);
	CU_ASSERT(netstate_origin_parse("ha-partner", &o) == 0 && o == NETSTATE_HA_PARTNER);
	CU_ASSERT(netstate_origin_parse("ha", &o) == -1);
	netstate_destroy(&ns);
}

int main(void)
{
	CU_pSuite s;
	unsigned fails;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	s = CU_add_suite("netstate", NULL, NULL);
	CU_add_test(s, "origins, periods, families", test_origins);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	fails = CU_get_number_of_failures();
	CU_cleanup_registry();
	return fails ? 1 : 0;
}
