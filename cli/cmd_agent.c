/*
 * chainsweep agent: the fleet agent of one host (docs/fleet.md). A
 * foreground process (systemd runs it: docs/chainsweep-agent.service) that
 * runs each hunt addressed to this host once, even across restarts.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "chainsweep/error.h"
#include "chainsweep/fleet.h"
#include "chainsweep/fleet_admin.h"
#include "chainsweep/fleet_sign.h"
#include "cli.h"
#include "opts.h"

extern volatile int cli_interrupted;

struct agent_args {
	const char *config, *root, *state_dir, *servers;
	int once;
	double wait;
};

static void agent_log(void *ud, const char *line)
{
	const struct cli_global *g = ud;
	char t[64];

	if (g->quiet)
		return;
	fprintf(stderr, "%s chainsweep agent: %s\n", cli_time((long long)time(NULL), t, sizeof(t)),
		line);
}

static int agent_run(void *p, struct cli_global *g)
{
	struct agent_args *a = p;
	struct cs_fleet_agent_conf conf;
	struct cs_fleet_agent_cfg c = { 0 };
	char err[512], pub_text[CS_FLEET_PUBTEXT_MAX], nkpub[64], exe[PATH_MAX];
	const char *servers[CS_FLEET_MAX_SERVERS], *labels[CS_FLEET_MAX_LABELS];
	char list[4096];
	ssize_t n;
	size_t i;
	int rc = 0;

	if (cs_fleet_agent_conf_load(a->config, &conf, err, sizeof(err)) != CS_OK) {
		cli_err("%s", err);
		return 2;
	}
	if (cs_fleet_pubkey_load(conf.fleet_pub, pub_text, err, sizeof(err)) != CS_OK ||
	    cs_fleet_nkey_file_public(conf.seed, nkpub, err, sizeof(err)) != CS_OK) {
		cli_err("agent: %s", err);
		return 2;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0) {
		cli_err("agent: cannot find its own program");
		return 2;
	}
	exe[n] = '\0';
	c.host = conf.host;
	for (i = 0; i < conf.nservers; i++)
		servers[i] = conf.servers[i];
	if (a->servers) {
		/* --servers replaces the configuration's list. */
		char *tok, *save = NULL;

		snprintf(list, sizeof(list), "%s", a->servers);
		conf.nservers = 0;
		for (tok = strtok_r(list, ", ", &save); tok && conf.nservers < CS_FLEET_MAX_SERVERS;
		     tok = strtok_r(NULL, ", ", &save))
			servers[conf.nservers++] = tok;
		if (!conf.nservers) {
			cli_err("agent: --servers: no server named");
			return 2;
		}
	}
	for (i = 0; i < conf.nlabels; i++)
		labels[i] = conf.labels[i];
	c.servers = servers;
	c.nservers = conf.nservers;
	c.nkey_public = nkpub;
	c.seed_path = conf.seed;
	c.fleet_pub = pub_text;
	c.labels = labels;
	c.nlabels = conf.nlabels;
	c.state_dir = a->state_dir ? a->state_dir : conf.state_dir;
	c.exe = exe;
	c.root = a->root ? a->root : "/";
	c.poll_s = conf.poll;
	c.spool_max = conf.spool_max;
	c.once = a->once;
	c.once_wait_ms = (int64_t)(a->wait > 0 ? a->wait * 1000 : 30000);
	cli_catch_signals();
	agent_log(g, "started");
	rc = cs_fleet_agent_run(&c, (volatile sig_atomic_t *)&cli_interrupted, agent_log, g, err,
				sizeof(err));
	if (rc) {
		cli_err("agent: %s", err);
		rc = 2;
	} else {
		agent_log(g, "stopped");
	}
	return rc;
}

#define AA(f) offsetof(struct agent_args, f)
static const struct cli_opt agent_opts[] = {
        {.name = "config", .kind = CLI_OPT_STR, .off = AA(config), .arg = "FILE",
         .complete = CLI_C_FILE,
         .help = "the agent's configuration (`fleet enroll` writes it; default\n"
                 "/etc/chainsweep/agent.conf)"},
        {.name = "root", .kind = CLI_OPT_STR, .off = AA(root), .arg = "DIR", .complete = CLI_C_DIR,
         .help = "the folder this agent's hunts sweep (default /; a collected host's\n"
                 "folder in the lab)"},
        {.name = "state-dir", .kind = CLI_OPT_STR, .off = AA(state_dir), .arg = "DIR",
         .complete = CLI_C_DIR,
         .help = "the journal, spool and local case (default: the configuration's)"},
        {.name = "servers", .kind = CLI_OPT_STR, .off = AA(servers), .arg = "URLS",
         .help = "NATS servers, comma separated, instead of the configuration's"},
        {.name = "once", .kind = CLI_OPT_FLAG, .off = AA(once),
         .help = "run the hunts waiting for this host, send the results, and return"},
        {.name = "wait", .kind = CLI_OPT_SECONDS, .off = AA(wait), .arg = "SECONDS", .max = 86400,
         .help = "with --once: how long to wait for the server to take the results\n"
                 "(default 30)"},
        {.name = NULL},
};

static void agent_init(void *p)
{
	struct agent_args *a = p;

	a->config = "/etc/chainsweep/agent.conf";
}

const struct cli_command cli_cmd_agent = {
        .name = "agent",
        .summary = "the fleet agent: run each hunt addressed to this host once, send the\n"
                   "results",
        .description =
                "Connect to the fleet's NATS servers with this host's own key, and run each\n"
                "signed hunt addressed to it exactly once, even across restarts (a local\n"
                "journal), with the hunt's limits; the intel comes as signed bundles, refused\n"
                "when unsigned, tampered, older or expired. Results wait in a bounded spool\n"
                "while the server is away. Runs in the foreground until SIGTERM (systemd:\n"
                "docs/chainsweep-agent.service; docs/fleet.md).",
        .opts = agent_opts,
        .exit_status = "0 stopped, 2 on error.",
        .init = agent_init,
        .run = agent_run,
        .args_size = sizeof(struct agent_args),
};
