#!/usr/bin/env bash
# test_demo.sh with manual keys (DEMO_KEYING=manual: 'sa' statements, key files 0600) instead of
# IKEv2: the same policies, checks and cleanup.
: "${ESPRIT_BUILD:?ESPRIT_BUILD must point at the build directory}"
DEMO_KEYING=manual exec bash "$(dirname "$0")/../../scripts/demo" --brief --build "$ESPRIT_BUILD"
