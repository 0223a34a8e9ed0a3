"""Built-in scan reports: services ShadowServer found reachable from the
internet (one host per row), as data.

Classification: a service that should not be exposed, or is exposed in a
weak version, is ``vulnerable/vulnerable-system`` (as in ShadowServer's
schema); one that is merely reachable (SSH, HTTP) is
``vulnerable/potentially-unwanted-accessible``; a UDP service that answers
small queries with large replies (open DNS resolvers, NTP, SNMP, SSDP, …) is
``vulnerable/ddos-amplifier``, RSIT's own example of that type. An operator's
copy of ShadowServer's schema file replaces these with ShadowServer's own.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from baobab.pipeline.parsers.shadowserver_reports.blocks import (
    HOST_OPTIONAL,
    SCAN_REQUIRED,
    Rule,
    classification,
    entry,
)

VULNERABLE = "vulnerable-system"
ACCESSIBLE = "potentially-unwanted-accessible"
AMPLIFIER = "ddos-amplifier"


class Service(NamedTuple):
    """One scan report: ShadowServer's names, the event's identifier and
    application, and its RSIT type (taxonomy ``vulnerable``)."""

    file_name: str
    feed_name: str
    identifier: str
    application: str
    type: str
    rules: tuple[Rule, ...] = ()  # rules beyond the scan family's


LOCAL_HOSTNAME: tuple[Rule, ...] = (("source.local_hostname", "dns_host_name", "validate_to_none"),)

SERVICES: tuple[Service, ...] = (
    # Remote access and file sharing.
    Service("scan_telnet", "Accessible-Telnet", "accessible-telnet", "telnet", VULNERABLE),
    Service("scan6_telnet", "IPv6-Accessible-Telnet", "accessible-telnet", "telnet", VULNERABLE),
    Service("scan_ssh", "Accessible-SSH", "accessible-ssh", "ssh", ACCESSIBLE),
    Service("scan6_ssh", "IPv6-Accessible-SSH", "accessible-ssh", "ssh", ACCESSIBLE),
    Service("scan_rdp", "Accessible-RDP", "accessible-rdp", "rdp", VULNERABLE),
    Service("scan6_rdp", "IPv6-Accessible-RDP", "accessible-rdp", "rdp", VULNERABLE),
    Service("scan_vnc", "Accessible-VNC", "open-vnc", "vnc", VULNERABLE),
    Service("scan6_vnc", "IPv6-Accessible-VNC", "open-vnc", "vnc", VULNERABLE),
    Service("scan_smb", "Accessible-SMB", "accessible-smb", "smb", VULNERABLE),
    Service("scan6_smb", "IPv6-Accessible-SMB", "accessible-smb", "smb", VULNERABLE),
    Service("scan_ftp", "Accessible-FTP", "accessible-ftp", "ftp", VULNERABLE),
    Service("scan6_ftp", "IPv6-Accessible-FTP", "accessible-ftp", "ftp", VULNERABLE),
    Service("scan_rsync", "Accessible-Rsync", "accessible-rsync", "rsync", VULNERABLE),
    Service("scan_afp", "Accessible-AFP", "accessible-afp", "afp", VULNERABLE),
    Service("scan_adb", "Accessible-ADB", "accessible-adb", "adb", VULNERABLE),
    # Web.
    Service("scan_http", "Accessible-HTTP", "accessible-http", "http", ACCESSIBLE),
    Service("scan6_http", "IPv6-Accessible-HTTP", "accessible-http", "http", ACCESSIBLE),
    Service("scan_http_vulnerable", "Vulnerable-HTTP", "vulnerable-http", "http", VULNERABLE),
    Service("scan_cwmp", "Accessible-CWMP", "open-cwmp", "cwmp", VULNERABLE),
    # Databases, stores and management interfaces.
    Service(
        "scan_elasticsearch",
        "Open-Elasticsearch",
        "open-elasticsearch",
        "elasticsearch",
        VULNERABLE,
    ),
    Service(
        "scan6_elasticsearch",
        "IPv6-Open-Elasticsearch",
        "open-elasticsearch",
        "elasticsearch",
        VULNERABLE,
    ),
    Service("scan_mongodb", "Open-MongoDB", "open-mongodb", "mongodb", VULNERABLE),
    Service("scan_redis", "Open-Redis", "open-redis", "redis", VULNERABLE),
    Service("scan_mysql", "Accessible-MySQL", "accessible-mysql", "mysql", VULNERABLE),
    Service("scan6_mysql", "IPv6-Accessible-MySQL", "accessible-mysql", "mysql", VULNERABLE),
    Service(
        "scan_postgres", "Accessible-PostgreSQL", "accessible-postgresql", "postgresql", VULNERABLE
    ),
    Service(
        "scan6_postgres",
        "IPv6-Accessible-PostgreSQL",
        "accessible-postgresql",
        "postgresql",
        VULNERABLE,
    ),
    Service("scan_couchdb", "Accessible-CouchDB", "accessible-couchdb", "couchdb", VULNERABLE),
    Service("scan_docker", "Accessible-Docker", "accessible-docker", "docker", VULNERABLE),
    Service(
        "scan_kubernetes",
        "Accessible-Kubernetes-API",
        "accessible-kubernetes-api",
        "kubernetes",
        VULNERABLE,
    ),
    Service("scan_ipmi", "Open-IPMI", "open-ipmi", "ipmi", VULNERABLE),
    Service("scan_mqtt", "Open-MQTT", "open-mqtt", "mqtt", VULNERABLE),
    Service("scan_amqp", "Accessible-AMQP", "accessible-amqp", "amqp", VULNERABLE),
    Service("scan_ldap_tcp", "Open-LDAP-TCP", "open-ldap", "ldap", VULNERABLE, LOCAL_HOSTNAME),
    Service("scan_isakmp", "Vulnerable-ISAKMP", "vulnerable-isakmp", "isakmp", VULNERABLE),
    Service("scan_nat_pmp", "Open-NATPMP", "open-natpmp", "natpmp", VULNERABLE),
    Service("scan_ics", "Accessible-ICS", "accessible-ics", "", VULNERABLE),
    # Amplifiers: UDP services that answer a small query with a large reply.
    Service("scan_dns", "DNS-Open-Resolvers", "dns-open-resolver", "dns", AMPLIFIER),
    Service("scan6_dns", "IPv6-DNS-Open-Resolvers", "dns-open-resolver", "dns", AMPLIFIER),
    Service("scan_ntp", "NTP-Version", "ntp-version", "ntp", AMPLIFIER),
    Service("scan6_ntp", "IPv6-NTP-Version", "ntp-version", "ntp", AMPLIFIER),
    Service("scan_ntpmonitor", "NTP-Monitor", "ntp-monitor", "ntp", AMPLIFIER),
    Service("scan6_ntpmonitor", "IPv6-NTP-Monitor", "ntp-monitor", "ntp", AMPLIFIER),
    Service("scan_snmp", "Open-SNMP", "open-snmp", "snmp", AMPLIFIER),
    Service("scan6_snmp", "IPv6-Open-SNMP", "open-snmp", "snmp", AMPLIFIER),
    Service("scan_ssdp", "Open-SSDP", "open-ssdp", "ssdp", AMPLIFIER),
    Service("scan_ldap_udp", "Open-LDAP", "open-ldap", "ldap", AMPLIFIER, LOCAL_HOSTNAME),
    Service("scan_chargen", "Open-Chargen", "open-chargen", "chargen", AMPLIFIER),
    Service("scan_qotd", "Open-QOTD", "open-qotd", "qotd", AMPLIFIER),
    Service(
        "scan_netbios",
        "Open-NetBIOS-Nameservice",
        "open-netbios-nameservice",
        "netbios-nameservice",
        AMPLIFIER,
    ),
    Service("scan_portmapper", "Open-Portmapper", "open-portmapper", "portmapper", AMPLIFIER),
    Service("scan_mssql", "Open-MSSQL", "open-mssql", "mssql", AMPLIFIER),
    Service("scan_mdns", "Open-mDNS", "open-mdns", "mdns", AMPLIFIER),
    Service("scan_tftp", "Open-TFTP", "open-tftp", "tftp", AMPLIFIER),
    Service("scan_memcached", "Open-Memcached", "open-memcached", "memcached", AMPLIFIER),
    Service("scan_rdpeudp", "Accessible-MS-RDPEUDP", "accessible-msrdpeudp", "rdpeudp", AMPLIFIER),
    Service(
        "scan_ubiquiti",
        "Accessible-Ubiquiti-Discovery-Service",
        "accessible-ubiquiti-discovery-service",
        "ubiquiti-discovery",
        AMPLIFIER,
    ),
    Service("scan_ard", "Accessible-ARD", "accessible-ard", "ard", AMPLIFIER),
    Service("scan_coap", "Accessible-CoAP", "accessible-coap", "coap", AMPLIFIER),
    Service(
        "scan_ws_discovery",
        "Accessible-WS-Discovery-Service",
        "open-ws-discovery",
        "ws-discovery",
        AMPLIFIER,
    ),
    Service("scan_xdmcp", "Open-XDMCP", "open-xdmcp", "xdmcp", AMPLIFIER),
    Service("scan_slp", "Accessible-SLP", "accessible-slp", "slp", AMPLIFIER),
    Service(
        "scan_dvr_dhcpdiscover",
        "Accessible-DVR-DHCPDiscover",
        "accessible-dvr-dhcpdiscover",
        "dvr-dhcpdiscover",
        AMPLIFIER,
    ),
    Service(
        "scan_ddos_middlebox",
        "Vulnerable-DDoS-Middlebox",
        "vulnerable-ddos-middlebox",
        "",
        AMPLIFIER,
    ),
)

# Vulnerable Exchange servers: the tag tells a web shell from a vulnerable server.
EXCHANGE_RULES: tuple[Rule, ...] = (
    ("classification.taxonomy", "tag", "scan_exchange_taxonomy"),
    ("classification.type", "tag", "scan_exchange_type"),
    ("classification.identifier", "tag", "scan_exchange_identifier"),
    ("extra.", "tag"),
)
EXCHANGE_CONSTANTS = classification("vulnerable", VULNERABLE, "vulnerable-exchange-server")


def _service_entry(service: Service) -> dict[str, Any]:
    constants = classification("vulnerable", service.type, service.identifier)
    if service.application:
        constants["protocol.application"] = service.application
    return entry(
        service.file_name,
        service.feed_name,
        constants,
        required=SCAN_REQUIRED,
        optional=(*service.rules, *HOST_OPTIONAL),
    )


REPORTS: dict[str, dict[str, Any]] = {
    **{service.file_name: _service_entry(service) for service in SERVICES},
    **{
        file_name: entry(
            file_name,
            feed_name,
            EXCHANGE_CONSTANTS,
            required=SCAN_REQUIRED,
            optional=(*EXCHANGE_RULES, *HOST_OPTIONAL),
        )
        for file_name, feed_name in (
            ("scan_exchange", "Vulnerable-Exchange-Server"),
            ("scan6_exchange", "IPv6-Vulnerable-Exchange"),
        )
    },
}
