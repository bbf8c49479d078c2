#!/usr/bin/env bash
# test_ike_cert.sh over IPv6 (fd00:11::1 <-> fd00:11::2, T fd00:11::3).
ESPRIT_NET_FAMILY=6 exec bash "$(dirname "$0")/test_ike_cert.sh"
