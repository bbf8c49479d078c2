#!/usr/bin/env bash
# test_transport.sh in tunnel mode (RFC 4303 3.1.2) between the two hosts, IPv4, with loose
# reverse path filtering (rp_filter=2, the systemd default).
ESPRIT_NET_MODE=tunnel ESPRIT_NET_RPF=2 exec bash "$(dirname "$0")/test_transport.sh"
