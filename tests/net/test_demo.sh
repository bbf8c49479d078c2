#!/usr/bin/env bash
# The README's first command, tested: scripts/demo --brief against the build under test (six
# namespaces, nginx, dovecot, espritd on three hosts with IKEv2 and a preshared key; transport
# ESP, two tunnels through an inspecting firewall, AH with a tampered packet). Every check of
# the demo must pass; the demo removes its namespaces, processes and files itself. Needs root
# (exit 77 otherwise). test_demo_manual.sh: the same with manual keys.
: "${ESPRIT_BUILD:?ESPRIT_BUILD must point at the build directory}"
exec bash "$(dirname "$0")/../../scripts/demo" --brief --build "$ESPRIT_BUILD"
