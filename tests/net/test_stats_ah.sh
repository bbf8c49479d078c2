#!/usr/bin/env bash
# test_stats.sh with AH (HMAC-SHA2-256-128): authenticated but no confidential bytes.
ESPRIT_NET_ALG=ah exec bash "$(dirname "$0")/test_stats.sh"
