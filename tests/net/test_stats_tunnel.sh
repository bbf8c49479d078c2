#!/usr/bin/env bash
# test_stats.sh with ESP (AES-GCM-128) in tunnel mode: bytes in tunnels, one active tunnel.
ESPRIT_NET_MODE=tunnel exec bash "$(dirname "$0")/test_stats.sh"
