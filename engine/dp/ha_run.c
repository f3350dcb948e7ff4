/* The HA thread and the server's side of the HA service core (ha_run.h). */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "ctl_srv.h"
#include "dp.h"
#include "ha_run.h"
#include "ha_service.h"
#include "lease_rec.h"
#include "log.h"

struct ha_run {
	struct dp *dp;
	struct dp_srv *srv;
	struct ha_service *svc;
	pthread_t thr;
	int stopfd;
	bool started;
};

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static unsigned fam_mask(int fam)
{
	return fam == 6 ? NETSTATE_V6 : NETSTATE_V4;
}

static void set_service(void *ctx, int fam, bool on)
{
	struct ha_run *r = ctx;

	if (on)
		netstate_enable(&r->dp->ns, fam_mask(fam), NETSTATE_HA_LOCAL);
	else
		netstate_disable(&r->dp->ns, fam_mask(fam), NETSTATE_HA_LOCAL, (uint32_t)time(NULL), 0);
}

static void set_scopes(void *ctx, int fam, unsigned scopes)
{
	struct ha_run *r = ctx;

	__atomic_store_n(&r->dp->ha_scopes[fam == 6 ? 1 : 0], scopes, __ATOMIC_RELAXED);
}

static void end_partner_disable(void *ctx, int fam)
{
	struct ha_run *r = ctx;

	netstate_enable(&r->dp->ns, fam_mask(fam), NETSTATE_HA_PARTNER);
}

/* A sync page: each lease through its owner worker, the newer one kept.
 * A lease this server cannot take (its client holds another one here)
 * is logged and skipped: the page goes on. */
static int apply_leases4(void *ctx, const struct lease_rec *recs, size_t n)
{
	struct ha_run *r = ctx;

	for (size_t i = 0; i < n; i++) {
		int ret = dp_srv_lease4_apply(r->srv, &recs[i]);

		if (ret == -ENOMEM)
			return ret;
		if (ret)
			LOG_W("HA sync: a lease of the partner's not taken: %s", strerror(-ret));
	}
	return 0;
}

static void state_changed(void *ctx, int fam, enum ha_state from, enum ha_state to)
{
	(void)ctx;
	LOG_I("HA (DHCPv%d): %s -> %s", fam, from ? ha_state_name(from) : "start",
	      ha_state_name(to));
}

static void *ha_thread(void *arg)
{
	struct ha_run *r = arg;
	struct pollfd pfd[HA_SERVICE_POLLFDS_MAX + 1];

	for (;;) {
		uint64_t now = mono_ms();
		unsigned n = ha_service_pollfds(r->svc, pfd, HA_SERVICE_POLLFDS_MAX);
		int t = ha_service_timeout_ms(r->svc, now);

		pfd[n] = (struct pollfd){ .fd = r->stopfd, .events = POLLIN };
		if (poll(pfd, n + 1, t < 0 || t > 1000 ? 1000 : t) < 0 && errno != EINTR)
			break;
		if (pfd[n].revents & POLLIN)
			break;
		ha_service_poll(r->svc, mono_ms());
	}
	return NULL;
}

struct ha_run *ha_run_create(struct dp *dp, struct dp_srv *srv, const struct conf *conf)
{
	struct ha_run *r;
	struct ha_service_params p;

	errno = 0;
	if (conf->ha == NULL)
		return NULL;
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return NULL;
	r->dp = dp;
	r->srv = srv;
	r->stopfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	memset(&p, 0, sizeof(p));
	p.ha = conf->ha;
	p.dhcp6 = false;
	p.ops = (struct ha_service_ops){
		.ctx = r, .set_service = set_service, .set_scopes = set_scopes,
		.end_partner_disable = end_partner_disable, .apply_leases4 = apply_leases4,
		.state_changed = state_changed,
	};
	r->svc = r->stopfd >= 0 ? ha_service_create(&p, mono_ms()) : NULL;
	if (r->svc == NULL) {
		int e = errno ? errno : ENOMEM;

		if (r->stopfd >= 0)
			close(r->stopfd);
		free(r);
		errno = e;
		return NULL;
	}
	/* nothing served until the state machine says which scopes */
	__atomic_store_n(&dp->ha_scopes[0], 0u, __ATOMIC_RELAXED);
	srv->ha = r->svc;
	return r;
}

int ha_run_start(struct ha_run *r)
{
	int ret = ha_service_start(r->svc, mono_ms());

	if (ret)
		return ret;
	ret = pthread_create(&r->thr, NULL, ha_thread, r);
	if (ret)
		return -ret;
	pthread_setname_np(r->thr, "ha");
	r->started = true;
	return 0;
}

void ha_run_stop(struct ha_run *r)
{
	uint64_t one = 1;

	if (r == NULL)
		return;
	if (r->started) {
		if (write(r->stopfd, &one, sizeof(one)) < 0)
			abort();        /* an eventfd write cannot fail here */
		pthread_join(r->thr, NULL);
	}
	r->srv->ha = NULL;
	ha_service_destroy(r->svc);
	close(r->stopfd);
	free(r);
}
