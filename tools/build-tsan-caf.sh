#!/usr/bin/env bash
# Builds CAF 0.17.6 (core and io, the version Debian's libcaf-dev ships) with -fsanitize=thread
# into PREFIX, for the ThreadSanitizer run of tools/dev.sh test. Debian's libraries are not
# instrumented, so TSan would not see the synchronisation inside CAF's mailboxes and scheduler and
# would report every message our actors exchange as a race.
#   tools/build-tsan-caf.sh PREFIX        (skips the build when PREFIX already holds it)
set -euo pipefail
prefix=${1:?usage: tools/build-tsan-caf.sh PREFIX}
version=0.17.6
sha256=e2bf5bd243f08bb7d8adde197cfe3e6d71314ed3378fe0692f8932f4c3b3928c # Debian's .dsc says so
[ -f "$prefix/lib/libcaf_io.so" ] && exit 0

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tarball="$work/actor-framework_${version}.orig.tar.gz"
curl -sSfL --retry 3 -o "$tarball" \
  "http://deb.debian.org/debian/pool/main/a/actor-framework/actor-framework_${version}.orig.tar.gz"
echo "$sha256  $tarball" | sha256sum -c --quiet -
tar -xzf "$tarball" -C "$work"
# -include limits: libcaf_io 0.17.6 uses std::numeric_limits without including <limits>, which
# GCC 12 no longer pulls in (Debian patches the header; the pristine source needs the flag).
cmake -S "$work/actor-framework-${version}" -B "$work/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_INSTALL_PREFIX="$prefix" -DCMAKE_CXX_FLAGS="-fsanitize=thread -include limits" \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" \
  -DCAF_NO_EXAMPLES=yes -DCAF_NO_TOOLS=yes -DCAF_NO_UNIT_TESTS=yes -DCAF_NO_OPENSSL=yes \
  -DCAF_NO_PYTHON=yes -DCAF_NO_OPENCL=yes -DCAF_NO_COMPILER_CHECK=yes > "$work/configure.log"
cmake --build "$work/build" -j2 > "$work/build.log" || { tail -50 "$work/build.log"; exit 1; }
cmake --install "$work/build" > /dev/null
