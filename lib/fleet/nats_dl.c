/*
 * libnats (the NATS JetStream client), loaded when the fleet's bus is
 * first used (bus.c and the tests call these names as usual). It brings
 * OpenSSL's libssl and protobuf-c: linked, they cost every chainsweep
 * process several milliseconds at start, though only the fleet commands
 * and the agent talk to NATS. When the library cannot be loaded, a
 * function answers NATS_ERR (or NULL, or nothing), and
 * natsStatus_GetText() gives the reason; cs_fleet_bus_connect() checks
 * cs__dl_load(&cs__dl_nats) first and says so.
 */
#include <nats/nats.h>

#include "core/dl_int.h"

#ifndef CS_NATS_SONAME
#define CS_NATS_SONAME "libnats.so.3.4"
#endif

#define CS_NATS_FUNCS(X, V)                                                                        \
	X(natsStatus, jsConsumerConfig_Init, (jsConsumerConfig * a), (a), NATS_ERR)                \
	V(jsConsumerInfo_Destroy, (jsConsumerInfo * a), (a))                                       \
	V(jsCtx_Destroy, (jsCtx * a), (a))                                                         \
	X(natsStatus, jsDirectGetMsgOptions_Init, (jsDirectGetMsgOptions * a), (a), NATS_ERR)      \
	V(jsMsgMetaData_Destroy, (jsMsgMetaData * a), (a))                                         \
	X(natsStatus, jsOptions_Init, (jsOptions * a), (a), NATS_ERR)                              \
	V(jsPubAck_Destroy, (jsPubAck * a), (a))                                                   \
	X(natsStatus, jsPubOptions_Init, (jsPubOptions * a), (a), NATS_ERR)                        \
	X(natsStatus, jsStreamConfig_Init, (jsStreamConfig * a), (a), NATS_ERR)                    \
	V(jsStreamInfo_Destroy, (jsStreamInfo * a), (a))                                           \
	X(natsStatus, jsSubOptions_Init, (jsSubOptions * a), (a), NATS_ERR)                        \
	X(natsStatus, js_AddConsumer,                                                              \
	  (jsConsumerInfo * *a, jsCtx * b, const char *c, jsConsumerConfig *d, jsOptions *e,       \
	   jsErrCode *f),                                                                          \
	  (a, b, c, d, e, f), NATS_ERR)                                                            \
	X(natsStatus, js_AddStream,                                                                \
	  (jsStreamInfo * *a, jsCtx * b, jsStreamConfig * c, jsOptions * d, jsErrCode * e),        \
	  (a, b, c, d, e), NATS_ERR)                                                               \
	X(natsStatus, js_CreateKeyValue, (kvStore * *a, jsCtx * b, kvConfig * c), (a, b, c),       \
	  NATS_ERR)                                                                                \
	X(natsStatus, js_DirectGetMsg,                                                             \
	  (natsMsg * *a, jsCtx * b, const char *c, jsOptions *d, jsDirectGetMsgOptions *e),        \
	  (a, b, c, d, e), NATS_ERR)                                                               \
	X(natsStatus, js_GetConsumerInfo,                                                          \
	  (jsConsumerInfo * *a, jsCtx * b, const char *c, const char *d, jsOptions *e,             \
	   jsErrCode *f),                                                                          \
	  (a, b, c, d, e, f), NATS_ERR)                                                            \
	X(natsStatus, js_GetLastMsg,                                                               \
	  (natsMsg * *a, jsCtx * b, const char *c, const char *d, jsOptions *e, jsErrCode *f),     \
	  (a, b, c, d, e, f), NATS_ERR)                                                            \
	X(natsStatus, js_GetStreamInfo,                                                            \
	  (jsStreamInfo * *a, jsCtx * b, const char *c, jsOptions *d, jsErrCode *e),               \
	  (a, b, c, d, e), NATS_ERR)                                                               \
	X(natsStatus, js_KeyValue, (kvStore * *a, jsCtx * b, const char *c), (a, b, c), NATS_ERR)  \
	X(natsStatus, js_Publish,                                                                  \
	  (jsPubAck * *a, jsCtx * b, const char *c, const void *d, int e, jsPubOptions *f,         \
	   jsErrCode *g),                                                                          \
	  (a, b, c, d, e, f, g), NATS_ERR)                                                         \
	X(natsStatus, js_PullSubscribe,                                                            \
	  (natsSubscription * *a, jsCtx * b, const char *c, const char *d, jsOptions *e,           \
	   jsSubOptions *f, jsErrCode *g),                                                         \
	  (a, b, c, d, e, f, g), NATS_ERR)                                                         \
	X(natsStatus, kvConfig_Init, (kvConfig * a), (a), NATS_ERR)                                \
	V(kvStore_Destroy, (kvStore * a), (a))                                                     \
	X(natsStatus, kvStore_Purge, (kvStore * a, const char *b, kvPurgeOptions *c), (a, b, c),   \
	  NATS_ERR)                                                                                \
	X(natsStatus, kvStore_Put,                                                                 \
	  (uint64_t * a, kvStore * b, const char *c, const void *d, int e), (a, b, c, d, e),       \
	  NATS_ERR)                                                                                \
	X(natsStatus, kvStore_PutString,                                                           \
	  (uint64_t * a, kvStore * b, const char *c, const char *d), (a, b, c, d), NATS_ERR)       \
	V(natsConnection_Close, (natsConnection * a), (a))                                         \
	X(natsStatus, natsConnection_Connect, (natsConnection * *a, natsOptions * b), (a, b),      \
	  NATS_ERR)                                                                                \
	V(natsConnection_Destroy, (natsConnection * a), (a))                                       \
	X(natsStatus, natsConnection_Flush, (natsConnection * a), (a), NATS_ERR)                   \
	X(natsStatus, natsConnection_FlushTimeout, (natsConnection * a, int64_t b), (a, b),        \
	  NATS_ERR)                                                                                \
	X(natsStatus, natsConnection_GetLastError, (natsConnection * a, const char **b), (a, b),   \
	  NATS_ERR)                                                                                \
	X(natsStatus, natsConnection_JetStream, (jsCtx * *a, natsConnection * b, jsOptions * c),   \
	  (a, b, c), NATS_ERR)                                                                     \
	X(natsStatus, natsConnection_Publish,                                                      \
	  (natsConnection * a, const char *b, const void *c, int d), (a, b, c, d), NATS_ERR)       \
	X(natsStatus, natsConnection_PublishString,                                                \
	  (natsConnection * a, const char *b, const char *c), (a, b, c), NATS_ERR)                 \
	X(natsStatus, natsConnection_Subscribe,                                                    \
	  (natsSubscription * *a, natsConnection * b, const char *c, natsMsgHandler d, void *e),   \
	  (a, b, c, d, e), NATS_ERR)                                                               \
	X(natsStatus, natsConnection_SubscribeSync,                                                \
	  (natsSubscription * *a, natsConnection * b, const char *c), (a, b, c), NATS_ERR)         \
	X(natsStatus, natsMsgHeader_Get, (natsMsg * a, const char *b, const char **c), (a, b, c),  \
	  NATS_ERR)                                                                                \
	V(natsMsgList_Destroy, (natsMsgList * a), (a))                                             \
	X(natsStatus, natsMsg_AckSync, (natsMsg * a, jsOptions * b, jsErrCode * c), (a, b, c),     \
	  NATS_ERR)                                                                                \
	V(natsMsg_Destroy, (natsMsg * a), (a))                                                     \
	X(const char *, natsMsg_GetData, (const natsMsg *a), (a), NULL)                            \
	X(int, natsMsg_GetDataLength, (const natsMsg *a), (a), 0)                                  \
	X(natsStatus, natsMsg_GetMetaData, (jsMsgMetaData * *a, natsMsg * b), (a, b), NATS_ERR)    \
	X(const char *, natsMsg_GetSubject, (const natsMsg *a), (a), NULL)                         \
	X(natsStatus, natsMsg_NakWithDelay, (natsMsg * a, int64_t b, jsOptions * c), (a, b, c),    \
	  NATS_ERR)                                                                                \
	X(natsStatus, natsOptions_Create, (natsOptions * *a), (a), NATS_ERR)                       \
	V(natsOptions_Destroy, (natsOptions * a), (a))                                             \
	X(natsStatus, natsOptions_SetAllowReconnect, (natsOptions * a, _Bool b), (a, b), NATS_ERR) \
	X(natsStatus, natsOptions_SetClosedCB,                                                     \
	  (natsOptions * a, natsConnectionHandler b, void *c), (a, b, c), NATS_ERR)                \
	X(natsStatus, natsOptions_SetCustomInboxPrefix, (natsOptions * a, const char *b), (a, b),  \
	  NATS_ERR)                                                                                \
	X(natsStatus, natsOptions_SetDisconnectedCB,                                               \
	  (natsOptions * a, natsConnectionHandler b, void *c), (a, b, c), NATS_ERR)                \
	X(natsStatus, natsOptions_SetErrorHandler, (natsOptions * a, natsErrHandler b, void *c),   \
	  (a, b, c), NATS_ERR)                                                                     \
	X(natsStatus, natsOptions_SetMaxPingsOut, (natsOptions * a, int b), (a, b), NATS_ERR)      \
	X(natsStatus, natsOptions_SetMaxReconnect, (natsOptions * a, int b), (a, b), NATS_ERR)     \
	X(natsStatus, natsOptions_SetNKeyFromSeed,                                                 \
	  (natsOptions * a, const char *b, const char *c), (a, b, c), NATS_ERR)                    \
	X(natsStatus, natsOptions_SetName, (natsOptions * a, const char *b), (a, b), NATS_ERR)     \
	X(natsStatus, natsOptions_SetPingInterval, (natsOptions * a, int64_t b), (a, b), NATS_ERR) \
	X(natsStatus, natsOptions_SetReconnectJitter, (natsOptions * a, int64_t b, int64_t c),     \
	  (a, b, c), NATS_ERR)                                                                     \
	X(natsStatus, natsOptions_SetReconnectWait, (natsOptions * a, int64_t b), (a, b),          \
	  NATS_ERR)                                                                                \
	X(natsStatus, natsOptions_SetReconnectedCB,                                                \
	  (natsOptions * a, natsConnectionHandler b, void *c), (a, b, c), NATS_ERR)                \
	X(natsStatus, natsOptions_SetRetryOnFailedConnect,                                         \
	  (natsOptions * a, _Bool b, natsConnectionHandler c, void *d), (a, b, c, d), NATS_ERR)    \
	X(natsStatus, natsOptions_SetServers, (natsOptions * a, const char **b, int c), (a, b, c), \
	  NATS_ERR)                                                                                \
	X(natsStatus, natsOptions_SetTimeout, (natsOptions * a, int64_t b), (a, b), NATS_ERR)      \
	X(natsStatus, natsOptions_SetURL, (natsOptions * a, const char *b), (a, b), NATS_ERR)      \
	X(const char *, natsStatus_GetText, (natsStatus a), (a), cs__dl_why(&CS_DL_SELF))          \
	V(natsSubscription_Destroy, (natsSubscription * a), (a))                                   \
	X(natsStatus, natsSubscription_Fetch,                                                      \
	  (natsMsgList * a, natsSubscription * b, int c, int64_t d, jsErrCode *e),                 \
	  (a, b, c, d, e), NATS_ERR)                                                               \
	X(natsStatus, natsSubscription_NextMsg, (natsMsg * *a, natsSubscription * b, int64_t c),   \
	  (a, b, c), NATS_ERR)                                                                     \
	V(nats_Close, (void), ())                                                                  \
	X(natsStatus, nats_CloseAndWait, (int64_t a), (a), NATS_ERR)                               \
	X(const char *, nats_GetLastError, (natsStatus * a), (a), NULL)                            \
	X(natsStatus, nats_Open, (int64_t a), (a), NATS_ERR)                                       \
	X(natsStatus, nats_Sign, (const char *a, const char *b, unsigned char **c, int *d),        \
	  (a, b, c, d), NATS_ERR)

enum { CS_NATS_FUNCS(CS_DL_IDX_X, CS_DL_IDX_V) N_NATS };

static const char *const nats_names[] = {CS_NATS_FUNCS(CS_DL_NAME_X, CS_DL_NAME_V)};
static void *nats_slots[N_NATS];
struct cs__dl cs__dl_nats = CS_DL_INIT(CS_NATS_SONAME, nats_names, nats_slots);

#define CS_DL_SELF  cs__dl_nats
#define CS_DL_SLOTS nats_slots
CS_NATS_FUNCS(CS_DL_WRAP_X, CS_DL_WRAP_V)
