/* chainsweep: the fleet's transport over NATS JetStream (docs/fleet.md). */
#ifndef CHAINSWEEP_FLEET_BUS_H
#define CHAINSWEEP_FLEET_BUS_H

#include <stddef.h>
#include <stdint.h>

struct cs_fleet_bus;

/* Who connects: the servers (nats://host:port), the nkey (public key and
 * the file holding its seed; both NULL for no authentication, which a
 * fleet server refuses) and the name that makes the connection's inbox
 * prefix _INBOX_<name>. */
struct cs_fleet_bus_opts {
	const char *const *servers;
	size_t nservers;
	const char *nkey_public;
	const char *seed_path;
	const char *name;
	int64_t timeout_ms;     /* for each request to the server; default 5000 */
	int retry_connect;      /* keep trying the first connect in the background */
	/* Called from the library's threads when the connection is lost or
	 * comes back; may be NULL. */
	void (*on_state)(void *ud, int connected);
	void *ud;
};

int cs_fleet_bus_connect(const struct cs_fleet_bus_opts *o, struct cs_fleet_bus **out,
			 char *err, size_t errlen);
void cs_fleet_bus_close(struct cs_fleet_bus *b);

/* The last asynchronous error the server reported on this connection
 * (a permissions violation arrives only this way; the request itself
 * times out), or "" when none; clears it. */
void cs_fleet_bus_async_error(struct cs_fleet_bus *b, char *buf, size_t len);

/* 1 once the library has closed the connection for good: it stops
 * reconnecting when one server refuses the key twice in a row (libnats
 * 3.4.1), and this bus is then of no more use; open another. */
int cs_fleet_bus_closed(struct cs_fleet_bus *b);

/* Operator: create (or check) the FLEET bucket, the RESULTS stream and
 * the collector's consumer. Retries while the cluster elects its leaders. */
struct cs_fleet_setup {
	int replicas;                 /* 1 or 3 */
	int64_t results_max_bytes;    /* default 1 GiB */
	int64_t results_max_age_s;    /* default 90 days */
	int64_t kv_max_bytes;         /* default 1 GiB */
	int64_t results_max_msg_size; /* default 256 KiB */
	int64_t ack_wait_ms;          /* collector consumer; default 30 s */
};
int cs_fleet_bus_setup(struct cs_fleet_bus *b, const struct cs_fleet_setup *s, char *err,
		       size_t errlen);

/* Operator: put a key of the FLEET bucket, or delete it. */
int cs_fleet_bus_kv_put(struct cs_fleet_bus *b, const char *key, const void *data, size_t len,
			char *err, size_t errlen);
int cs_fleet_bus_kv_delete(struct cs_fleet_bus *b, const char *key, char *err, size_t errlen);

/* Anyone allowed: the current value of a key, read by a direct get of the
 * last message of its subject (no consumer is made). CS_ERR_NOTFOUND when
 * the key is absent or deleted. *data is malloc'd. */
int cs_fleet_bus_kv_get(struct cs_fleet_bus *b, const char *key, unsigned char **data,
			size_t *len, char *err, size_t errlen);

/* Operator: the same, read from the stream's leader (a direct get may be
 * answered by a follower that has not seen the last write yet). */
int cs_fleet_bus_kv_get_exact(struct cs_fleet_bus *b, const char *key, unsigned char **data,
			      size_t *len, char *err, size_t errlen);

/* Publish to a stream with a message id; waits for the stream's
 * acknowledgement. *duplicate is set when the stream had the id already.
 * CS_ERR_FULL when the stream refused it for its size limit. */
int cs_fleet_bus_publish(struct cs_fleet_bus *b, const char *subject, const char *msgid,
			 const void *data, size_t len, int *duplicate, char *err, size_t errlen);

/* Core NATS: publish a wake-up, and subscribe to wake-ups (the callback
 * runs on a library thread). */
int cs_fleet_bus_notify(struct cs_fleet_bus *b, const char *subject);
int cs_fleet_bus_subscribe(struct cs_fleet_bus *b, const char *subject,
			   void (*fn)(void *ud, const char *subject), void *ud, char *err,
			   size_t errlen);

/* Collector: bind to the durable consumer and take one message at a time
 * (libnats 3.4.1 corrupts memory with batches above one). Returns
 * CS_ERR_TIMEOUT when nothing came within timeout_ms. The message stays
 * with the caller until cs_fleet_bus_ack (after its rows are committed)
 * or cs_fleet_bus_nak. */
struct cs_fleet_msg_in {
	const char *subject;
	const char *msgid;      /* its Nats-Msg-Id, or "" */
	const unsigned char *data;
	size_t len;
	uint64_t stream_seq;
	uint64_t delivered;     /* how many times the server delivered it */
	void *priv;
};
int cs_fleet_bus_fetch(struct cs_fleet_bus *b, int64_t timeout_ms, struct cs_fleet_msg_in *m,
		       char *err, size_t errlen);
int cs_fleet_bus_ack(struct cs_fleet_bus *b, struct cs_fleet_msg_in *m, char *err, size_t errlen);
void cs_fleet_bus_nak(struct cs_fleet_bus *b, struct cs_fleet_msg_in *m);
void cs_fleet_bus_msg_free(struct cs_fleet_msg_in *m);

/* Operator: the RESULTS stream's messages, bytes and limit, and the
 * collector's pending count. */
struct cs_fleet_bus_stats {
	uint64_t msgs, bytes;
	int64_t max_bytes;
	uint64_t pending, ack_pending, redelivered;
	char leader[64];
};
int cs_fleet_bus_stats(struct cs_fleet_bus *b, struct cs_fleet_bus_stats *s, char *err,
		       size_t errlen);

#endif
