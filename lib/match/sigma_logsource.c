/*
 * Sigma log sources: what a rule's `logsource` (product, category,
 * service) means in the events our readers produce, and how the rule's
 * field names map onto the event's (docs/sigma.md).
 *
 * Windows categories are Sysmon event ids (and, for process creation
 * and network connections, the Security log's 4688 and 5156 with their
 * own field names); Windows services are channels. Other products are
 * keyed by the product and service (or category) the readers set on the
 * event; a category without a product (dns, proxy, firewall, webserver)
 * runs on events that name no product, and on Zeek's logs through a
 * rename table.
 */
#include <stdio.h>
#include <string.h>

#include "match/sigma_int.h"

#define SYSMON     "Microsoft-Windows-Sysmon/Operational"
#define PS_OP      "Microsoft-Windows-PowerShell/Operational"
#define PS_CLASSIC "Windows PowerShell"

/* Security 4688: a new process. */
static const struct cs__sg_rename ren_4688[] = {
        {"Image", "NewProcessName"},
        {"ParentImage", "ParentProcessName"},
        {"ProcessId", "NewProcessId"},
        {"ParentProcessId", "ProcessId"},
        {"LogonId", "SubjectLogonId"},
        {"User", "SubjectUserName"},
        {NULL, NULL},
};
static const char *const native_4688[] = {
        "CommandLine",       "SubjectUserSid",     "SubjectUserName",
        "SubjectDomainName", "SubjectLogonId",     "NewProcessId",
        "NewProcessName",    "TokenElevationType", "TargetUserSid",
        "TargetUserName",    "TargetDomainName",   "TargetLogonId",
        "ParentProcessName", "MandatoryLabel",     NULL,
};

/* Security 5156: a connection the Windows Filtering Platform allowed. */
static const struct cs__sg_rename ren_5156[] = {
        {"Image", "Application"},         {"ProcessId", "ProcessID"},
        {"DestinationIp", "DestAddress"}, {"DestinationPort", "DestPort"},
        {"SourceIp", "SourceAddress"},    {NULL, NULL},
};
static const char *const native_5156[] = {
        "Application", "ProcessID", "DestAddress", "DestPort",  "SourceAddress", "SourcePort",
        "Protocol",    "Direction", "FilterRTID",  "LayerName", "LayerRTID",     NULL,
};

/* Zeek's dns.log, http.log and conn.log for the product-less categories. */
static const struct cs__sg_rename ren_zeek_dns[] = {
        {"query", "query"},
        {"answer", "answers"},
        {"record_type", "qtype_name"},
        {"src_ip", "id.orig_h"},
        {"dst_ip", "id.resp_h"},
        {"src_port", "id.orig_p"},
        {"dst_port", "id.resp_p"},
        {NULL, NULL},
};
static const struct cs__sg_rename ren_zeek_http[] = {
        {"c-uri", "uri"},
        {"cs-uri", "uri"},
        {"c-useragent", "user_agent"},
        {"cs-host", "host"},
        {"r-dns", "host"},
        {"cs-method", "method"},
        {"sc-status", "status_code"},
        {"cs-referrer", "referrer"},
        {"src_ip", "id.orig_h"},
        {"dst_ip", "id.resp_h"},
        {"dst_port", "id.resp_p"},
        {NULL, NULL},
};
static const struct cs__sg_rename ren_zeek_conn[] = {
        {"src_ip", "id.orig_h"},
        {"dst_ip", "id.resp_h"},
        {"src_port", "id.orig_p"},
        {"dst_port", "id.resp_p"},
        {NULL, NULL},
};
static const char *const native_none[] = {NULL};

struct wcat {
	const char *category;
	const char *channel;
	int eids[8];
	const struct cs__sg_rename *renames;
	const char *const *native; /* non-NULL: closed */
};

/* Windows categories; a category may have several rows. */
static const struct wcat wcats[] = {
        {"process_creation", SYSMON, {1}, NULL, NULL},
        {"process_creation", "Security", {4688}, ren_4688, native_4688},
        {"file_change", SYSMON, {2}, NULL, NULL},
        {"network_connection", SYSMON, {3}, NULL, NULL},
        {"network_connection", "Security", {5156}, ren_5156, native_5156},
        {"sysmon_status", SYSMON, {4, 16}, NULL, NULL},
        {"process_termination", SYSMON, {5}, NULL, NULL},
        {"driver_load", SYSMON, {6}, NULL, NULL},
        {"image_load", SYSMON, {7}, NULL, NULL},
        {"create_remote_thread", SYSMON, {8}, NULL, NULL},
        {"raw_access_thread", SYSMON, {9}, NULL, NULL},
        {"raw_access_read", SYSMON, {9}, NULL, NULL},
        {"process_access", SYSMON, {10}, NULL, NULL},
        {"file_event", SYSMON, {11}, NULL, NULL},
        {"registry_add", SYSMON, {12}, NULL, NULL},
        {"registry_delete", SYSMON, {12}, NULL, NULL},
        {"registry_event", SYSMON, {12, 13, 14}, NULL, NULL},
        {"registry_set", SYSMON, {13}, NULL, NULL},
        {"registry_rename", SYSMON, {14}, NULL, NULL},
        {"create_stream_hash", SYSMON, {15}, NULL, NULL},
        {"pipe_created", SYSMON, {17, 18}, NULL, NULL},
        {"wmi_event", SYSMON, {19, 20, 21}, NULL, NULL},
        {"dns_query", SYSMON, {22}, NULL, NULL},
        {"file_delete", SYSMON, {23, 26}, NULL, NULL},
        {"clipboard_capture", SYSMON, {24}, NULL, NULL},
        {"process_tampering", SYSMON, {25}, NULL, NULL},
        {"file_delete_detected", SYSMON, {26}, NULL, NULL},
        {"file_block_executable", SYSMON, {27}, NULL, NULL},
        {"file_block_shredding", SYSMON, {28}, NULL, NULL},
        {"file_executable_detected", SYSMON, {29}, NULL, NULL},
        {"sysmon_error", SYSMON, {255}, NULL, NULL},
        {"ps_module", PS_OP, {4103}, NULL, NULL},
        {"ps_script", PS_OP, {4104}, NULL, NULL},
        {"ps_classic_start", PS_CLASSIC, {400}, NULL, NULL},
        {"ps_classic_provider_start", PS_CLASSIC, {600}, NULL, NULL},
        {"ps_classic_script", PS_CLASSIC, {800}, NULL, NULL},
};

/* Sysmon for Linux logs through the same schema on its own channel. */
static const struct wcat lcats[] = {
        {"process_creation", "Linux-Sysmon/Operational", {1}, NULL, NULL},
        {"network_connection", "Linux-Sysmon/Operational", {3}, NULL, NULL},
        {"file_event", "Linux-Sysmon/Operational", {11}, NULL, NULL},
        {"file_delete", "Linux-Sysmon/Operational", {23}, NULL, NULL},
        {"process_termination", "Linux-Sysmon/Operational", {5}, NULL, NULL},
        {"raw_access_read", "Linux-Sysmon/Operational", {9}, NULL, NULL},
};

struct wsvc {
	const char *service;
	const char *channels[4];
};

static const struct wsvc wsvcs[] = {
        {"security", {"Security"}},
        {"system", {"System"}},
        {"application", {"Application"}},
        {"sysmon", {SYSMON}},
        {"powershell", {PS_OP}},
        {"powershell-classic", {PS_CLASSIC}},
        {"taskscheduler", {"Microsoft-Windows-TaskScheduler/Operational"}},
        {"wmi", {"Microsoft-Windows-WMI-Activity/Operational"}},
        {"dns-server", {"DNS Server"}},
        {"dns-server-analytic", {"Microsoft-Windows-DNS-Server/Analytical"}},
        {"dns-server-audit", {"Microsoft-Windows-DNS-Server/Audit"}},
        {"driver-framework", {"Microsoft-Windows-DriverFrameworks-UserMode/Operational"}},
        {"windefend", {"Microsoft-Windows-Windows Defender/Operational"}},
        {"firewall-as", {"Microsoft-Windows-Windows Firewall With Advanced Security/Firewall"}},
        {"bits-client", {"Microsoft-Windows-Bits-Client/Operational"}},
        {"codeintegrity-operational", {"Microsoft-Windows-CodeIntegrity/Operational"}},
        {"applocker",
         {"Microsoft-Windows-AppLocker/MSI and Script", "Microsoft-Windows-AppLocker/EXE and DLL",
          "Microsoft-Windows-AppLocker/Packaged app-Deployment",
          "Microsoft-Windows-AppLocker/Packaged app-Execution"}},
        {"msexchange-management", {"MSExchange Management"}},
        {"ntlm", {"Microsoft-Windows-NTLM/Operational"}},
        {"dhcp", {"Microsoft-Windows-DHCP-Server/Operational"}},
        {"printservice-admin", {"Microsoft-Windows-PrintService/Admin"}},
        {"printservice-operational", {"Microsoft-Windows-PrintService/Operational"}},
        {"smbclient-security", {"Microsoft-Windows-SmbClient/Security"}},
        {"smbclient-connectivity", {"Microsoft-Windows-SmbClient/Connectivity"}},
        {"smbserver-connectivity", {"Microsoft-Windows-SMBServer/Connectivity"}},
        {"terminalservices-localsessionmanager",
         {"Microsoft-Windows-TerminalServices-LocalSessionManager/Operational"}},
        {"openssh", {"OpenSSH/Operational"}},
        {"ldap", {"Microsoft-Windows-LDAP-Client/Debug"}},
        {"ldap_debug", {"Microsoft-Windows-LDAP-Client/Debug"}},
        {"diagnosis-scripted", {"Microsoft-Windows-Diagnosis-Scripted/Operational"}},
        {"security-mitigations",
         {"Microsoft-Windows-Security-Mitigations/Kernel Mode",
          "Microsoft-Windows-Security-Mitigations/User Mode"}},
        {"shell-core", {"Microsoft-Windows-Shell-Core/Operational"}},
        {"vhdmp", {"Microsoft-Windows-VHDMP-Operational"}},
        {"appxdeployment-server", {"Microsoft-Windows-AppXDeploymentServer/Operational"}},
        {"appxpackaging-om", {"Microsoft-Windows-AppxPackaging/Operational"}},
        {"appmodel-runtime", {"Microsoft-Windows-AppModel-Runtime/Admin"}},
        {"lsa-server", {"Microsoft-Windows-LSA/Operational"}},
        {"capi2", {"Microsoft-Windows-CAPI2/Operational"}},
        {"certificateservicesclient-lifecycle-system",
         {"Microsoft-Windows-CertificateServicesClient-Lifecycle-System/Operational"}},
        {"dns-client", {"Microsoft-Windows-DNS Client Events/Operational"}},
        {"kernel-shimengine", {"Microsoft-Windows-Kernel-ShimEngine/Operational"}},
        {"microsoft-servicebus-client", {"Microsoft-ServiceBus-Client"}},
        {"iis-configuration", {"Microsoft-IIS-Configuration/Operational"}},
        {"bitlocker", {"Microsoft-Windows-BitLocker/BitLocker Management"}},
        {"ntfs", {"Microsoft-Windows-Ntfs/Operational"}},
        {"sense", {"Microsoft-Windows-SENSE/Operational"}},
        {"hyper-v-worker", {"Microsoft-Windows-Hyper-V-Worker-Admin"}},
        {"kernel-event-tracing", {"Microsoft-Windows-Kernel-EventTracing/Admin"}},
};

static const char *const common_fields[] = {
        "EventID",
        "Channel",
        "Computer",
        "Provider_Name",
        "Provider_Guid",
        "Provider_EventSourceName",
        "EventRecordID",
        "Level",
        "Task",
        "Opcode",
        "Keywords",
        "Version",
        "TimeCreated_SystemTime",
        "Execution_ProcessID",
        "Execution_ThreadID",
        "Security_UserID",
        "Correlation_ActivityID",
        NULL,
};

int cs__sigma_common_field(const char *name)
{
	size_t i;

	for (i = 0; common_fields[i]; i++)
		if (strcmp(common_fields[i], name) == 0)
			return 1;
	return 0;
}

static size_t add_wcat(const struct wcat *c, struct cs__sg_target *out, size_t n)
{
	if (n >= CS__SG_MAX_TARGETS)
		return n;
	memset(&out[n], 0, sizeof(out[n]));
	out[n].channel = c->channel;
	memcpy(out[n].eids, c->eids, sizeof(c->eids));
	out[n].renames = c->renames;
	out[n].closed = c->native != NULL;
	out[n].native = c->native;
	return n + 1;
}

static size_t add_okey(struct cs__sg_target *out, char (*keybuf)[96], size_t n, const char *product,
                       const char *what, const struct cs__sg_rename *ren)
{
	if (n >= CS__SG_MAX_TARGETS)
		return n;
	memset(&out[n], 0, sizeof(out[n]));
	snprintf(keybuf[n], sizeof(keybuf[n]), "o|%s|%s", product ? product : "-",
	         what ? what : "*");
	out[n].okey = keybuf[n];
	out[n].renames = ren;
	out[n].closed = ren != NULL;
	out[n].native = ren ? native_none : NULL;
	return n + 1;
}

size_t cs__sigma_targets(const char *product, const char *category, const char *service,
                         struct cs__sg_target *out, char (*keybuf)[96])
{
	size_t i, j, n = 0;

	if (product && strcmp(product, "windows") == 0) {
		if (category) {
			for (i = 0; i < sizeof(wcats) / sizeof(wcats[0]); i++)
				if (strcmp(wcats[i].category, category) == 0)
					n = add_wcat(&wcats[i], out, n);
			return n;
		}
		if (service) {
			for (i = 0; i < sizeof(wsvcs) / sizeof(wsvcs[0]); i++) {
				if (strcmp(wsvcs[i].service, service) != 0)
					continue;
				for (j = 0; j < 4 && wsvcs[i].channels[j] && n < CS__SG_MAX_TARGETS;
				     j++) {
					memset(&out[n], 0, sizeof(out[n]));
					out[n].channel = wsvcs[i].channels[j];
					n++;
				}
			}
			return n;
		}
		/* The whole Windows product: every event with a channel. */
		memset(&out[0], 0, sizeof(out[0]));
		return 1;
	}
	if (product && strcmp(product, "linux") == 0 && category && !service) {
		for (i = 0; i < sizeof(lcats) / sizeof(lcats[0]); i++)
			if (strcmp(lcats[i].category, category) == 0)
				n = add_wcat(&lcats[i], out, n);
		return n;
	}
	if (product)
		return add_okey(out, keybuf, 0, product, service ? service : category, NULL);
	if (!category && !service)
		return 0;
	n = add_okey(out, keybuf, 0, NULL, service ? service : category, NULL);
	if (service)
		return n;
	if (strcmp(category, "dns") == 0)
		n = add_okey(out, keybuf, n, "zeek", "dns", ren_zeek_dns);
	else if (strcmp(category, "proxy") == 0)
		n = add_okey(out, keybuf, n, "zeek", "http", ren_zeek_http);
	else if (strcmp(category, "firewall") == 0)
		n = add_okey(out, keybuf, n, "zeek", "conn", ren_zeek_conn);
	return n;
}

const char *cs__sigma_logsource_tag(void)
{
	return "sigma_logsource.c " __DATE__ " " __TIME__;
}
