/*
 * chainsweep fleet init, chainsweep fleet enroll: the operator's fleet
 * folder, its keys and the agents' identities (docs/fleet.md,
 * "Deployment and keys").
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chainsweep/fleet_admin.h"
#include "cli.h"
#include "opts.h"

struct init_args {
	const char *dir;
};

#define FIA(f) offsetof(struct init_args, f)
static const struct cli_opt fleet_init_opts[] = {
        {.name = "dir",
         .kind = CLI_OPT_FUNC,
         .off = FIA(dir),
         .arg = "DIR",
         .parse = cli_opt_once,
         .complete = CLI_C_DIR,
         .help = "the fleet folder to make (new or empty; needed)"},
        {.name = NULL},
};

static int fleet_init_run(void *p, struct cli_global *g);

const struct cli_command cli_cmd_fleet_init = {
        .name = "fleet init",
        .summary = "make a fleet folder: the signing key pair, the operator's and the\n"
                   "collector's nkeys, an empty host registry, nats-auth.conf",
        .description =
                "Make the operator's fleet folder DIR (0700): fleet.key and fleet.pub (the\n"
                "Ed25519 key that signs hunts and intel bundles, minisign format), operator.nk\n"
                "and collector.nk (NATS nkey seeds), hosts.tsv (the host registry, empty),\n"
                "agents/ and nats-auth.conf, the nats-server fragment to include in the\n"
                "server's configuration. Nothing is ever replaced: DIR must be new or empty.\n"
                "Keep the folder offline or on the operator's host: its keys task every agent.",
        .opts = fleet_init_opts,
        .exit_status = "0 made, 2 error.",
        .run = fleet_init_run,
        .args_size = sizeof(struct init_args),
};

static int fleet_init_run(void *p, struct cli_global *g)
{
	struct init_args *A = p;
	char err[4096];

	(void)g;
	if (!A->dir) {
		cli_err("fleet init: --dir DIR is needed (chainsweep fleet init --help)");
		return CS_EXIT_ERROR;
	}
	if (cs_fleet_admin_init(A->dir, err, sizeof(err)) != CS_OK) {
		cli_err("fleet init: %s", cli_safe(err));
		return CS_EXIT_ERROR;
	}
	printf("fleet folder %s made: fleet.key, fleet.pub, operator.nk, collector.nk, hosts.tsv, "
	       "agents/, nats-auth.conf\n"
	       "next: include nats-auth.conf in the nats-server configuration, then "
	       "chainsweep fleet enroll --dir %s HOST...\n",
	       cli_safe(A->dir), cli_safe(A->dir));
	return CS_EXIT_OK;
}

struct enroll_args {
	const char *dir, *labels, *servers;
	int rotate;
	struct cli_list pos;
};

#define FEA(f) offsetof(struct enroll_args, f)
static const struct cli_opt fleet_enroll_opts[] = {
        {.name = "dir",
         .kind = CLI_OPT_FUNC,
         .off = FEA(dir),
         .arg = "DIR",
         .parse = cli_opt_once,
         .complete = CLI_C_DIR,
         .help = "the fleet folder (fleet init made it; needed)"},
        {.name = "labels",
         .kind = CLI_OPT_FUNC,
         .off = FEA(labels),
         .arg = "L1,L2",
         .parse = cli_opt_once,
         .help = "the hosts' labels, for hunts that target labels (default: none, or\n"
                 "with --rotate the labels they had)"},
        {.name = "servers",
         .kind = CLI_OPT_FUNC,
         .off = FEA(servers),
         .arg = "URL,URL",
         .parse = cli_opt_once,
         .help = "the NATS servers the agents connect to, nats:// or tls:// URLs\n"
                 "(default nats://127.0.0.1:4222, or with --rotate the host's)"},
        {.name = "rotate",
         .kind = CLI_OPT_FLAG,
         .off = FEA(rotate),
         .help = "give hosts enrolled already a new nkey; the old one stops working\n"
                 "once the server reloads nats-auth.conf (revocation)"},
        {.name = NULL},
};

static int fleet_enroll_run(void *p, struct cli_global *g);

const struct cli_command cli_cmd_fleet_enroll = {
        .name = "fleet enroll",
        .summary = "enroll hosts: an nkey and an agent configuration each, the registry\n"
                   "and nats-auth.conf updated",
        .description =
                "Enroll each HOST (1 to 64 of A-Z a-z 0-9 _ -) in the fleet folder: a new NATS\n"
                "nkey (agents/HOST.nk), its agent configuration (agents/HOST.conf) and its row\n"
                "in hosts.tsv; nats-auth.conf is then written again with the host's\n"
                "permissions (its own results, inbox and notifications; the hunts and intel\n"
                "by direct get). Install agents/HOST.conf, agents/HOST.nk and agents/fleet.pub\n"
                "in one folder on the host, and reload the NATS server. A host enrolled\n"
                "already is refused unless --rotate.",
        .pos_name = "HOST...",
        .pos_off = FEA(pos),
        .min_pos = 1,
        .max_pos = SIZE_MAX,
        .opts = fleet_enroll_opts,
        .exit_status = "0 enrolled, 2 error.",
        .run = fleet_enroll_run,
        .args_size = sizeof(struct enroll_args),
};

static int print_host(void *ud, const struct cs_fleet_host *h)
{
	const struct enroll_args *A = ud;
	size_t i;

	for (i = 0; i < A->pos.n; i++)
		if (strcmp(A->pos.v[i], h->host) == 0)
			printf("%s %s: %s/agents/%s.conf, %s/agents/%s.nk (nkey %s)\n",
			       A->rotate ? "rotated" : "enrolled", h->host, cli_safe(A->dir),
			       h->host, cli_safe(A->dir), h->host, h->nkey);
	return 0;
}

static int fleet_enroll_run(void *p, struct cli_global *g)
{
	struct enroll_args *A = p;
	char err[4096];

	(void)g;
	if (!A->dir) {
		cli_err("fleet enroll: --dir DIR is needed (chainsweep fleet enroll --help)");
		return CS_EXIT_ERROR;
	}
	if (cs_fleet_admin_enroll_many(A->dir, A->pos.v, A->pos.n, A->labels, A->servers, A->rotate,
	                               err, sizeof(err)) != CS_OK) {
		cli_err("fleet enroll: %s", cli_safe(err));
		return CS_EXIT_ERROR;
	}
	if (cs_fleet_admin_hosts(A->dir, print_host, A, err, sizeof(err)) != CS_OK) {
		cli_err("fleet enroll: %s", cli_safe(err));
		return CS_EXIT_ERROR;
	}
	printf("%s/nats-auth.conf rewritten: reload the NATS server (nats-server --signal "
	       "reload)\n",
	       cli_safe(A->dir));
	return CS_EXIT_OK;
}
