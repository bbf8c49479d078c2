#!/usr/bin/env bash
# test_replay.sh over IPv6 with ESP in UDP 4500 (RFC 3948), AES-GCM-128.
ESPRIT_NET_FAMILY=6 ESPRIT_NET_ENCAP=udp exec bash "$(dirname "$0")/test_replay.sh"
