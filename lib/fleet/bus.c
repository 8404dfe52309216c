/* The fleet's transport: a thin layer over libnats 3.4.1 that keeps its
 * pitfalls in one place (docs/fleet.md, ../shared/research/fleet-on-nats.md
 * §2.3): servers are given as a list, never as a comma string; every
 * connection has its own inbox prefix; permission denials arrive in the
 * asynchronous error handler, so it is kept and reported beside the timeout
 * they cause; consumers are made by the operator and only bound by the
 * collector, which fetches one message at a time. */
#include <nats/nats.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chainsweep/error.h"
#include "chainsweep/fleet_bus.h"
#include "core/dl_int.h"

#define BUCKET "FLEET"
#define KV_STREAM "KV_FLEET"
#define RESULTS "RESULTS"
#define CONSUMER "collector"
#define MAX_SERVERS 16
#define AUTH_TRIES  4 /* see cs_fleet_bus_connect */

struct cs_fleet_bus {
	natsConnection *nc;
	natsOptions *opts;
	jsCtx *js;
	kvStore *kv;                /* operator only, made on first put */
	natsSubscription *pull;     /* collector only */
	natsSubscription *subs[8];
	size_t nsubs;
	struct sub_ctx {
		void (*fn)(void *, const char *);
		void *ud;
	} subctx[8];
	int64_t timeout_ms;
	void (*on_state)(void *, int);
	void *ud;
	pthread_mutex_t mu;
	pthread_cond_t closed_cv;
	int closed;                 /* the library's closed callback ran */
	char async_err[256];
};

static void set_err(char *err, size_t errlen, const char *what, natsStatus s)
{
	if (err && errlen)
		snprintf(err, errlen, "%s: %s%s%s", what, natsStatus_GetText(s),
			 nats_GetLastError(NULL) ? ": " : "",
			 nats_GetLastError(NULL) ? nats_GetLastError(NULL) : "");
}

static int map_status(natsStatus s)
{
	switch (s) {
	case NATS_OK:
		return CS_OK;
	case NATS_TIMEOUT:
		return CS_ERR_TIMEOUT;
	case NATS_NOT_FOUND:
		return CS_ERR_NOTFOUND;
	case NATS_NO_MEMORY:
		return CS_ERR_NOMEM;
	case NATS_NO_SERVER:
	case NATS_CONNECTION_CLOSED:
	case NATS_CONNECTION_DISCONNECTED:
	case NATS_STALE_CONNECTION:
	case NATS_NO_RESPONDERS:
	case NATS_NOT_PERMITTED:
	case NATS_CONNECTION_AUTH_FAILED:
		return CS_ERR_NET;
	default:
		return CS_ERR_IO;
	}
}

static void on_async_error(natsConnection *nc, natsSubscription *sub, natsStatus s,
			   void *closure)
{
	struct cs_fleet_bus *b = closure;
	const char *why = NULL;

	(void)sub;
	if (nc)
		natsConnection_GetLastError(nc, &why);
	pthread_mutex_lock(&b->mu);
	snprintf(b->async_err, sizeof(b->async_err), "%s%s%s", natsStatus_GetText(s),
		 why && *why ? ": " : "", why ? why : "");
	pthread_mutex_unlock(&b->mu);
}

static void on_disconnected(natsConnection *nc, void *closure)
{
	struct cs_fleet_bus *b = closure;

	(void)nc;
	if (b->on_state)
		b->on_state(b->ud, 0);
}

static void on_reconnected(natsConnection *nc, void *closure)
{
	struct cs_fleet_bus *b = closure;

	(void)nc;
	if (b->on_state)
		b->on_state(b->ud, 1);
}

/* The last callback the library makes for a connection: after it, none of
 * the others can come, so the bus may be freed. */
static void on_closed(natsConnection *nc, void *closure)
{
	struct cs_fleet_bus *b = closure;

	(void)nc;
	pthread_mutex_lock(&b->mu);
	b->closed = 1;
	pthread_cond_signal(&b->closed_cv);
	pthread_mutex_unlock(&b->mu);
}

int cs_fleet_bus_closed(struct cs_fleet_bus *b)
{
	int closed;

	pthread_mutex_lock(&b->mu);
	closed = b->closed;
	pthread_mutex_unlock(&b->mu);
	return closed;
}

void cs_fleet_bus_async_error(struct cs_fleet_bus *b, char *buf, size_t len)
{
	pthread_mutex_lock(&b->mu);
	snprintf(buf, len, "%s", b->async_err);
	b->async_err[0] = '\0';
	pthread_mutex_unlock(&b->mu);
}

/* A request that timed out may have been denied: the reason, if the server
 * sent one, is in the asynchronous error; put it in the message. */
static void explain(struct cs_fleet_bus *b, char *err, size_t errlen, const char *what,
		    natsStatus s)
{
	char async[256];

	set_err(err, errlen, what, s);
	cs_fleet_bus_async_error(b, async, sizeof(async));
	if (async[0] && err && errlen) {
		size_t n = strlen(err);
		snprintf(err + n, errlen - n, " (server: %s)", async);
	}
}

int cs_fleet_bus_connect(const struct cs_fleet_bus_opts *o, struct cs_fleet_bus **out,
			 char *err, size_t errlen)
{
	struct cs_fleet_bus *b;
	natsStatus s;
	jsOptions jo;
	char inbox[96];

	*out = NULL;
	if (!o->nservers || o->nservers > MAX_SERVERS || !o->name || !*o->name) {
		snprintf(err, errlen, "fleet: servers (1 to %d) and a name are needed", MAX_SERVERS);
		return CS_ERR_INVALID;
	}
	if (cs__dl_load(&cs__dl_nats) != CS_OK) {
		snprintf(err, errlen, "fleet: no NATS client to reach the bus with (%s)",
		         cs__dl_why(&cs__dl_nats));
		return CS_ERR_UNSUPPORTED;
	}
	b = calloc(1, sizeof(*b));
	if (!b)
		return CS_ERR_NOMEM;
	pthread_mutex_init(&b->mu, NULL);
	pthread_cond_init(&b->closed_cv, NULL);
	b->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : 5000;
	b->on_state = o->on_state;
	b->ud = o->ud;
	snprintf(inbox, sizeof(inbox), "_INBOX_%s", o->name);
	s = natsOptions_Create(&b->opts);
	if (s == NATS_OK)
		s = natsOptions_SetServers(b->opts, (const char **)o->servers, (int)o->nservers);
	if (s == NATS_OK)
		s = natsOptions_SetName(b->opts, o->name);
	if (s == NATS_OK)
		s = natsOptions_SetCustomInboxPrefix(b->opts, inbox);
	if (s == NATS_OK)
		s = natsOptions_SetErrorHandler(b->opts, on_async_error, b);
	if (s == NATS_OK)
		s = natsOptions_SetDisconnectedCB(b->opts, on_disconnected, b);
	if (s == NATS_OK)
		s = natsOptions_SetReconnectedCB(b->opts, on_reconnected, b);
	if (s == NATS_OK)
		s = natsOptions_SetClosedCB(b->opts, on_closed, b);
	if (s == NATS_OK)
		s = natsOptions_SetMaxReconnect(b->opts, -1);
	if (s == NATS_OK)
		s = natsOptions_SetReconnectWait(b->opts, 250);
	if (s == NATS_OK)
		s = natsOptions_SetReconnectJitter(b->opts, 250, 1000);
	if (s == NATS_OK)
		s = natsOptions_SetTimeout(b->opts, b->timeout_ms);
	if (s == NATS_OK)
		s = natsOptions_SetPingInterval(b->opts, 10000);
	if (s == NATS_OK)
		s = natsOptions_SetMaxPingsOut(b->opts, 3);
	if (s == NATS_OK && o->retry_connect)
		/* Connected later, in the background: the same news as a
		 * reconnect (the agent then looks for work at once). */
		s = natsOptions_SetRetryOnFailedConnect(b->opts, true, on_reconnected, b);
	if (s == NATS_OK && o->nkey_public && o->seed_path)
		s = natsOptions_SetNKeyFromSeed(b->opts, o->nkey_public, o->seed_path);
	if (s != NATS_OK) {
		set_err(err, errlen, "fleet: connection options", s);
		cs_fleet_bus_close(b);
		return CS_ERR_INVALID;
	}
	/* libnats 3.4.1 (Debian 12) leaves the signature out of CONNECT when
	 * its first byte is 0, one nonce in 256, and the server refuses the
	 * key (fixed in nats.c 3.10, commit 4108c7d). Each try has a new
	 * nonce, so a few tries make that refusal as rare as a collision; a
	 * key the server does not know is refused every time and reported. */
	for (int tries = 0;; tries++) {
		s = natsConnection_Connect(&b->nc, b->opts);
		if (s != NATS_CONNECTION_AUTH_FAILED || !o->nkey_public || tries == AUTH_TRIES - 1)
			break;
		if (b->nc) {
			natsConnection_Destroy(b->nc);
			b->nc = NULL;
		}
		pthread_mutex_lock(&b->mu);
		b->async_err[0] = '\0';
		pthread_mutex_unlock(&b->mu);
	}
	if (s != NATS_OK && !(o->retry_connect && s == NATS_NOT_YET_CONNECTED)) {
		explain(b, err, errlen, "fleet: connect", s);
		cs_fleet_bus_close(b);
		return map_status(s) == CS_ERR_IO ? CS_ERR_NET : map_status(s);
	}
	jsOptions_Init(&jo);
	jo.Wait = b->timeout_ms;
	s = natsConnection_JetStream(&b->js, b->nc, &jo);
	if (s != NATS_OK) {
		set_err(err, errlen, "fleet: JetStream context", s);
		cs_fleet_bus_close(b);
		return CS_ERR_NET;
	}
	*out = b;
	return CS_OK;
}

void cs_fleet_bus_close(struct cs_fleet_bus *b)
{
	size_t i;

	if (!b)
		return;
	/* Subscriptions are destroyed after the connection is closed, on
	 * this one thread (libnats 3.4.1 can crash on a message delivered to
	 * a subscription being destroyed). The library calls its handlers
	 * (disconnected, error, closed) from a thread of its own, with the bus
	 * as their closure: the bus is freed only once the closed handler,
	 * always the last, has run. */
	if (b->nc) {
		struct timespec until;

		natsConnection_Close(b->nc);
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += 10;
		pthread_mutex_lock(&b->mu);
		while (!b->closed &&
		       pthread_cond_timedwait(&b->closed_cv, &b->mu, &until) == 0)
			;
		pthread_mutex_unlock(&b->mu);
	}
	for (i = 0; i < b->nsubs; i++)
		natsSubscription_Destroy(b->subs[i]);
	if (b->pull)
		natsSubscription_Destroy(b->pull);
	if (b->kv)
		kvStore_Destroy(b->kv);
	if (b->js)
		jsCtx_Destroy(b->js);
	if (b->nc)
		natsConnection_Destroy(b->nc);
	if (b->opts)
		natsOptions_Destroy(b->opts);
	pthread_cond_destroy(&b->closed_cv);
	pthread_mutex_destroy(&b->mu);
	free(b);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* The stream or bucket exists with another configuration: keep it, the
 * operator changes limits with the server's tools. Anything else is an
 * error. The first attempts may fail while the cluster elects its meta
 * leader, so each step is retried for a while. */
static natsStatus with_retry(struct cs_fleet_bus *b, natsStatus (*step)(struct cs_fleet_bus *,
								  const struct cs_fleet_setup *,
								  jsErrCode *),
			     const struct cs_fleet_setup *st, jsErrCode *jerr)
{
	natsStatus s = NATS_OK;
	int i;

	for (i = 0; i < 40; i++) {
		*jerr = 0;
		s = step(b, st, jerr);
		if (s == NATS_OK)
			return s;
		if (*jerr && *jerr != JSClusterNotAvailErr && *jerr != 10008 /* no leader */)
			return s;
		sleep_ms(250);
	}
	return s;
}

static natsStatus make_kv(struct cs_fleet_bus *b, const struct cs_fleet_setup *st,
			  jsErrCode *jerr)
{
	kvConfig kc;
	kvStore *kv = NULL;
	natsStatus s;

	(void)jerr;
	s = js_KeyValue(&kv, b->js, BUCKET);
	if (s == NATS_OK) {
		kvStore_Destroy(kv);
		return s;
	}
	kvConfig_Init(&kc);
	kc.Bucket = BUCKET;
	kc.Description = "chainsweep fleet: hunts and signed intel bundles";
	kc.History = 1;
	kc.MaxValueSize = 1000 * 1024;
	kc.MaxBytes = st->kv_max_bytes > 0 ? st->kv_max_bytes : (int64_t)1 << 30;
	kc.StorageType = js_FileStorage;
	kc.Replicas = st->replicas > 0 ? st->replicas : 1;
	s = js_CreateKeyValue(&kv, b->js, &kc);
	if (s == NATS_OK)
		kvStore_Destroy(kv);
	return s;
}

static natsStatus make_results(struct cs_fleet_bus *b, const struct cs_fleet_setup *st,
			       jsErrCode *jerr)
{
	jsStreamConfig sc;
	jsStreamInfo *si = NULL;
	const char *subj[] = { "res.>" };
	natsStatus s;

	s = js_GetStreamInfo(&si, b->js, RESULTS, NULL, jerr);
	if (s == NATS_OK) {
		jsStreamInfo_Destroy(si);
		return s;
	}
	jsStreamConfig_Init(&sc);
	sc.Name = RESULTS;
	sc.Description = "chainsweep fleet: agents' findings and statuses";
	sc.Subjects = subj;
	sc.SubjectsLen = 1;
	/* A message goes once the collector has acknowledged it: the
	 * stream's size limit is then what waits to be collected, and a
	 * full stream empties as the collector catches up. */
	sc.Retention = js_InterestPolicy;
	sc.MaxBytes = st->results_max_bytes > 0 ? st->results_max_bytes : (int64_t)1 << 30;
	sc.MaxAge = (st->results_max_age_s > 0 ? st->results_max_age_s : 90LL * 86400) *
		    1000000000LL;
	sc.MaxMsgSize = (int32_t)(st->results_max_msg_size > 0 ? st->results_max_msg_size
							      : 256 * 1024);
	if (sc.MaxMsgSize > sc.MaxBytes)
		sc.MaxMsgSize = (int32_t)sc.MaxBytes;
	sc.Discard = js_DiscardNew;
	sc.Storage = js_FileStorage;
	sc.Replicas = st->replicas > 0 ? st->replicas : 1;
	sc.Duplicates = 20LL * 60 * 1000000000LL;
	*jerr = 0;
	s = js_AddStream(&si, b->js, &sc, NULL, jerr);
	if (s == NATS_OK)
		jsStreamInfo_Destroy(si);
	return s;
}

static natsStatus make_consumer(struct cs_fleet_bus *b, const struct cs_fleet_setup *st,
				jsErrCode *jerr)
{
	jsConsumerConfig cc;
	jsConsumerInfo *ci = NULL;
	natsStatus s;

	s = js_GetConsumerInfo(&ci, b->js, RESULTS, CONSUMER, NULL, jerr);
	if (s == NATS_OK) {
		jsConsumerInfo_Destroy(ci);
		return s;
	}
	jsConsumerConfig_Init(&cc);
	cc.Durable = CONSUMER;
	cc.Description = "chainsweep fleet collector";
	cc.AckPolicy = js_AckExplicit;
	cc.AckWait = (st->ack_wait_ms > 0 ? st->ack_wait_ms : 30000) * 1000000LL;
	cc.FilterSubject = "res.>";
	cc.MaxAckPending = 1000;
	cc.MaxRequestBatch = 1;
	cc.DeliverPolicy = js_DeliverAll;
	*jerr = 0;
	s = js_AddConsumer(&ci, b->js, RESULTS, &cc, NULL, jerr);
	if (s == NATS_OK)
		jsConsumerInfo_Destroy(ci);
	return s;
}

int cs_fleet_bus_setup(struct cs_fleet_bus *b, const struct cs_fleet_setup *st, char *err,
		       size_t errlen)
{
	jsErrCode jerr = 0;
	natsStatus s;

	s = with_retry(b, make_kv, st, &jerr);
	if (s != NATS_OK) {
		explain(b, err, errlen, "fleet: bucket " BUCKET, s);
		return map_status(s);
	}
	s = with_retry(b, make_results, st, &jerr);
	if (s != NATS_OK) {
		explain(b, err, errlen, "fleet: stream " RESULTS, s);
		return map_status(s);
	}
	s = with_retry(b, make_consumer, st, &jerr);
	if (s != NATS_OK) {
		explain(b, err, errlen, "fleet: consumer " CONSUMER, s);
		return map_status(s);
	}
	return CS_OK;
}

static int open_kv(struct cs_fleet_bus *b, char *err, size_t errlen)
{
	natsStatus s;

	if (b->kv)
		return CS_OK;
	s = js_KeyValue(&b->kv, b->js, BUCKET);
	if (s != NATS_OK) {
		explain(b, err, errlen, "fleet: bucket " BUCKET, s);
		return map_status(s);
	}
	return CS_OK;
}

int cs_fleet_bus_kv_put(struct cs_fleet_bus *b, const char *key, const void *data, size_t len,
			char *err, size_t errlen)
{
	natsStatus s;
	uint64_t rev = 0;
	int rc;

	if (len > 1000 * 1024) {
		snprintf(err, errlen, "fleet: value of %s too large (%zu bytes)", key, len);
		return CS_ERR_TOOBIG;
	}
	rc = open_kv(b, err, errlen);
	if (rc)
		return rc;
	s = kvStore_Put(&rev, b->kv, key, data, (int)len);
	if (s != NATS_OK) {
		explain(b, err, errlen, "fleet: put", s);
		return map_status(s);
	}
	return CS_OK;
}

int cs_fleet_bus_kv_delete(struct cs_fleet_bus *b, const char *key, char *err, size_t errlen)
{
	natsStatus s;
	int rc = open_kv(b, err, errlen);

	if (rc)
		return rc;
	s = kvStore_Purge(b->kv, key, NULL);
	if (s != NATS_OK) {
		explain(b, err, errlen, "fleet: delete", s);
		return map_status(s);
	}
	return CS_OK;
}

/* The value a key's last message holds, copied (NUL-terminated) and the
 * message freed; CS_ERR_NOTFOUND when that message is a delete or purge
 * marker. */
static int take_value(natsMsg *m, unsigned char **data, size_t *len)
{
	const char *op = NULL;
	int n;

	if (natsMsgHeader_Get(m, "KV-Operation", &op) == NATS_OK && op &&
	    (strcmp(op, "DEL") == 0 || strcmp(op, "PURGE") == 0)) {
		natsMsg_Destroy(m);
		return CS_ERR_NOTFOUND;
	}
	n = natsMsg_GetDataLength(m);
	*data = malloc((size_t)n + 1);
	if (!*data) {
		natsMsg_Destroy(m);
		return CS_ERR_NOMEM;
	}
	memcpy(*data, natsMsg_GetData(m), (size_t)n);
	(*data)[n] = '\0';
	*len = (size_t)n;
	natsMsg_Destroy(m);
	return CS_OK;
}

int cs_fleet_bus_kv_get(struct cs_fleet_bus *b, const char *key, unsigned char **data,
			size_t *len, char *err, size_t errlen)
{
	jsDirectGetMsgOptions o;
	natsMsg *m = NULL;
	natsStatus s;
	char subj[256];

	*data = NULL;
	*len = 0;
	if (snprintf(subj, sizeof(subj), "$KV." BUCKET ".%s", key) >= (int)sizeof(subj))
		return CS_ERR_INVALID;
	jsDirectGetMsgOptions_Init(&o);
	o.LastBySubject = subj;
	s = js_DirectGetMsg(&m, b->js, KV_STREAM, NULL, &o);
	if (s == NATS_NOT_FOUND)
		return CS_ERR_NOTFOUND;
	if (s != NATS_OK) {
		explain(b, err, errlen, "fleet: get", s);
		return map_status(s);
	}
	return take_value(m, data, len);
}

int cs_fleet_bus_kv_get_exact(struct cs_fleet_bus *b, const char *key, unsigned char **data,
			      size_t *len, char *err, size_t errlen)
{
	natsMsg *m = NULL;
	jsErrCode jerr = 0;
	natsStatus s;
	char subj[256];

	*data = NULL;
	*len = 0;
	if (snprintf(subj, sizeof(subj), "$KV." BUCKET ".%s", key) >= (int)sizeof(subj))
		return CS_ERR_INVALID;
	s = js_GetLastMsg(&m, b->js, KV_STREAM, subj, NULL, &jerr);
	if (s == NATS_NOT_FOUND || jerr == JSNoMessageFoundErr)
		return CS_ERR_NOTFOUND;
	if (s != NATS_OK) {
		explain(b, err, errlen, "fleet: get", s);
		return map_status(s);
	}
	return take_value(m, data, len);
}

int cs_fleet_bus_publish(struct cs_fleet_bus *b, const char *subject, const char *msgid,
			 const void *data, size_t len, int *duplicate, char *err, size_t errlen)
{
	jsPubOptions po;
	jsPubAck *pa = NULL;
	jsErrCode jerr = 0;
	natsStatus s;

	if (duplicate)
		*duplicate = 0;
	jsPubOptions_Init(&po);
	po.MsgId = msgid;
	po.ExpectStream = RESULTS;
	s = js_Publish(&pa, b->js, subject, data, (int)len, &po, &jerr);
	if (s != NATS_OK) {
		explain(b, err, errlen, "fleet: publish", s);
		if (jerr == JSStreamStoreFailedErr || jerr == 10047 /* insufficient resources */ ||
		    (err && strstr(err, "maximum bytes")))
			return CS_ERR_FULL;
		return map_status(s);
	}
	if (duplicate)
		*duplicate = pa->Duplicate;
	jsPubAck_Destroy(pa);
	return CS_OK;
}

int cs_fleet_bus_notify(struct cs_fleet_bus *b, const char *subject)
{
	return natsConnection_Publish(b->nc, subject, "", 0) == NATS_OK ? CS_OK : CS_ERR_NET;
}

static void on_notify(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
	struct sub_ctx *c = closure;

	(void)nc;
	(void)sub;
	c->fn(c->ud, natsMsg_GetSubject(msg));
	natsMsg_Destroy(msg);
}

int cs_fleet_bus_subscribe(struct cs_fleet_bus *b, const char *subject,
			   void (*fn)(void *ud, const char *subject), void *ud, char *err,
			   size_t errlen)
{
	natsStatus s;

	if (b->nsubs >= sizeof(b->subs) / sizeof(b->subs[0]))
		return CS_ERR_TOOBIG;
	b->subctx[b->nsubs].fn = fn;
	b->subctx[b->nsubs].ud = ud;
	s = natsConnection_Subscribe(&b->subs[b->nsubs], b->nc, subject, on_notify,
				     &b->subctx[b->nsubs]);
	if (s != NATS_OK) {
		explain(b, err, errlen, "fleet: subscribe", s);
		return map_status(s);
	}
	/* A denied subscription shows only in the error handler: flush
	 * with a round trip so that it has arrived before we go on. */
	natsConnection_FlushTimeout(b->nc, b->timeout_ms);
	b->nsubs++;
	{
		char async[256];

		cs_fleet_bus_async_error(b, async, sizeof(async));
		if (async[0]) {
			snprintf(err, errlen, "fleet: subscribe %s: %s", subject, async);
			return CS_ERR_NET;
		}
	}
	return CS_OK;
}

int cs_fleet_bus_fetch(struct cs_fleet_bus *b, int64_t timeout_ms, struct cs_fleet_msg_in *m,
		       char *err, size_t errlen)
{
	natsMsgList list = { 0 };
	jsErrCode jerr = 0;
	jsMsgMetaData *meta = NULL;
	natsStatus s;
	natsMsg *msg;
	const char *id = NULL;

	memset(m, 0, sizeof(*m));
	if (!b->pull) {
		jsSubOptions so;

		jsSubOptions_Init(&so);
		so.Stream = RESULTS;
		so.Consumer = CONSUMER;
		s = js_PullSubscribe(&b->pull, b->js, "res.>", CONSUMER, NULL, &so, &jerr);
		if (s != NATS_OK) {
			explain(b, err, errlen, "fleet: bind to the collector consumer", s);
			return map_status(s);
		}
	}
	s = natsSubscription_Fetch(&list, b->pull, 1, timeout_ms, &jerr);
	if (s == NATS_TIMEOUT || (s == NATS_OK && list.Count == 0)) {
		natsMsgList_Destroy(&list);
		return CS_ERR_TIMEOUT;
	}
	if (s != NATS_OK) {
		natsMsgList_Destroy(&list);
		explain(b, err, errlen, "fleet: fetch", s);
		return map_status(s);
	}
	/* Take the one message out of the list so that the list can go. */
	msg = list.Msgs[0];
	list.Msgs[0] = NULL;
	natsMsgList_Destroy(&list);
	m->priv = msg;
	m->subject = natsMsg_GetSubject(msg);
	m->data = (const unsigned char *)natsMsg_GetData(msg);
	m->len = (size_t)natsMsg_GetDataLength(msg);
	m->msgid = "";
	if (natsMsgHeader_Get(msg, "Nats-Msg-Id", &id) == NATS_OK && id)
		m->msgid = id;
	if (natsMsg_GetMetaData(&meta, msg) == NATS_OK) {
		m->stream_seq = meta->Sequence.Stream;
		m->delivered = meta->NumDelivered;
		jsMsgMetaData_Destroy(meta);
	}
	return CS_OK;
}

int cs_fleet_bus_ack(struct cs_fleet_bus *b, struct cs_fleet_msg_in *m, char *err, size_t errlen)
{
	jsErrCode jerr = 0;
	natsStatus s;

	s = natsMsg_AckSync((natsMsg *)m->priv, NULL, &jerr);
	if (s != NATS_OK) {
		explain(b, err, errlen, "fleet: ack", s);
		return map_status(s);
	}
	return CS_OK;
}

void cs_fleet_bus_nak(struct cs_fleet_bus *b, struct cs_fleet_msg_in *m)
{
	(void)b;
	if (m->priv)
		natsMsg_NakWithDelay((natsMsg *)m->priv, 1000, NULL);
}

void cs_fleet_bus_msg_free(struct cs_fleet_msg_in *m)
{
	if (m->priv)
		natsMsg_Destroy((natsMsg *)m->priv);
	memset(m, 0, sizeof(*m));
}

int cs_fleet_bus_stats(struct cs_fleet_bus *b, struct cs_fleet_bus_stats *st, char *err,
		       size_t errlen)
{
	jsStreamInfo *si = NULL;
	jsConsumerInfo *ci = NULL;
	jsErrCode jerr = 0;
	natsStatus s;

	memset(st, 0, sizeof(*st));
	s = js_GetStreamInfo(&si, b->js, RESULTS, NULL, &jerr);
	if (s != NATS_OK) {
		explain(b, err, errlen, "fleet: stream info", s);
		return map_status(s);
	}
	st->msgs = si->State.Msgs;
	st->bytes = si->State.Bytes;
	st->max_bytes = si->Config ? si->Config->MaxBytes : 0;
	if (si->Cluster && si->Cluster->Leader)
		snprintf(st->leader, sizeof(st->leader), "%s", si->Cluster->Leader);
	jsStreamInfo_Destroy(si);
	if (js_GetConsumerInfo(&ci, b->js, RESULTS, CONSUMER, NULL, &jerr) == NATS_OK) {
		st->pending = ci->NumPending;
		st->ack_pending = (uint64_t)ci->NumAckPending;
		st->redelivered = (uint64_t)ci->NumRedelivered;
		jsConsumerInfo_Destroy(ci);
	}
	return CS_OK;
}
