#!/usr/bin/env bash
# test_transport.sh in tunnel mode (RFC 4303 3.1.2) between the two hosts, IPv4.
ESPRIT_NET_MODE=tunnel exec bash "$(dirname "$0")/test_transport.sh"
