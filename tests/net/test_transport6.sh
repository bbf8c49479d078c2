#!/usr/bin/env bash
# test_transport.sh over IPv6: manual ESP transport SAs between fd00:9::1 and fd00:9::2.
ESPRIT_NET_FAMILY=6 exec bash "$(dirname "$0")/test_transport.sh"
