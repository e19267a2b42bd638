#!/bin/sh
# Generates configure and the Makefile.in files.
set -e
cd "$(dirname "$0")"
mkdir -p m4 build-aux
autoreconf --install --force
