#!/usr/bin/env bash
# test_transport.sh with SAs that carry and require all traffic between the hosts, IPv6:
# neighbour discovery must stay exempt or the hosts lose each other.
ESPRIT_NET_SEL=any ESPRIT_NET_FAMILY=6 exec bash "$(dirname "$0")/test_transport.sh"
