#!/usr/bin/env bash
# test_require.sh over IPv6 (fd00:7::/64): policy-driven require vs respond-only.
ESPRIT_NET_FAMILY=6 exec bash "$(dirname "$0")/test_require.sh"
