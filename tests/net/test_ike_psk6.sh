#!/usr/bin/env bash
# test_ike_psk.sh over IPv6 (fd00:7::1 <-> fd00:7::2).
ESPRIT_NET_FAMILY=6 exec bash "$(dirname "$0")/test_ike_psk.sh"
