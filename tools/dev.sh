#!/usr/bin/env bash
# One entry point for a fresh machine:  tools/dev.sh demo   builds and runs the tour;
#                                       tools/dev.sh test   builds and runs every test suite,
#                                                           then again under ASan+UBSan, then
#                                                           the actor suites under TSan.
# Installs what is missing from Debian's packages first (needs root or sudo).
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(build-essential cmake libcaf-dev libhiredis-dev libcereal-dev libboost-test-dev
          libtomlplusplus-dev rapidjson-dev gnuplot-nox redis-server redis-tools curl clang
          prometheus-cpp-dev python3-prometheus-client libssl-dev openssl redis-sentinel
          libevent-dev)

install_missing_packages() {
  local missing=()
  for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
      missing+=("$package")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "Installing: ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
}

build() { # build DIR [cmake options...]
  local dir=$1
  shift
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@"
  cmake --build "$dir" -j2
}

run_tests() { # run_tests DIR
  (cd "$1" && ctest --output-on-failure -j2 --timeout 900)
}

fuzz() { # fuzz SECONDS: each libFuzzer target for that long, on a copy of the committed corpus
  CC=clang CXX=clang++ cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRTK_FUZZ=ON \
    -DRTK_BUILD_TESTS=OFF -DRTK_BUILD_EXAMPLES=OFF
  cmake --build build-fuzz -j2 --target fuzz_reply_decoder fuzz_wire_format
  for target in reply_decoder wire_format; do
    mkdir -p "build-fuzz/corpus/$target"
    cp -n tests/fuzz/corpus/$target/* "build-fuzz/corpus/$target/" || true # newer cp -n fails on a skip
    "build-fuzz/tests/fuzz/fuzz_$target" -max_total_time="$1" -rss_limit_mb=2048 -max_len=65536 \
      -print_final_stats=1 "build-fuzz/corpus/$target"
  done
}

# GCC 12 at -O1 with the sanitizers' instrumentation reports uninitialized reads that are not
# there (a std::variant temporary in fault_tests): -Wmaybe-uninitialized stays on, as an error, in
# the normal -O2 build, which sees the same code.
sanitizer_flags=(-DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG -Wno-maybe-uninitialized"
                 -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG -Wno-maybe-uninitialized")

case "${1:-}" in
  demo)
    install_missing_packages
    build build
    build/rtk demo
    ;;
  test)
    install_missing_packages
    build build
    run_tests build
    echo "== again with AddressSanitizer + UndefinedBehaviorSanitizer"
    # Sanitizer builds at -O1 with line tables only (-g1): enough for the reports' stack traces,
    # and about a third less compile time than -O2 -g, which keeps CI inside its budget.
    build build-asan -DRTK_SANITIZE=address,undefined "${sanitizer_flags[@]}"
    ASAN_OPTIONS=detect_leaks=1 LSAN_OPTIONS="suppressions=$PWD/tools/lsan.supp" \
      UBSAN_OPTIONS=print_stacktrace=1 run_tests build-asan
    echo "== the actor tests with ThreadSanitizer (on a CAF built with it)"
    tools/build-tsan-caf.sh "$PWD/build-tsan/caf"
    cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRTK_SANITIZE=thread "${sanitizer_flags[@]}" \
      -DCMAKE_PREFIX_PATH="$PWD/build-tsan/caf"
    cmake --build build-tsan -j2 --target rtk_unit_tests rtk_integration_tests
    # The suites whose code runs on actors; the rtk command-line suites are left to the two runs
    # above (they fork rtk from test threads, which TSan does not follow through libstdc++).
    (cd build-tsan && TSAN_OPTIONS="halt_on_error=1 suppressions=$PWD/../tools/tsan.supp" \
      ctest --output-on-failure -j2 --timeout 900 \
        -R '^(unit\..*|integration\.(toolkit|async_toolkit|pubsub|psubscribe|cluster|cluster_failover|cluster_psubscribe|local_cluster|server_launcher|command|cluster_command|fault|cluster_fault|hostile_server|metrics|metrics_board|sentinel_client|tls)_tests)$')
    echo "== fuzzing the reply decoder and the wire-format reader (30 s each)"
    fuzz 30
    ;;
  fuzz) # tools/dev.sh fuzz [SECONDS]: a longer run, by hand
    install_missing_packages
    fuzz "${2:-300}"
    ;;
  *)
    echo "usage: tools/dev.sh demo | test | fuzz [SECONDS]" >&2
    exit 2
    ;;
esac
