// rtk: the redis-toolkit command line (CONTRACT.md section 3). The frame lives in cli.cpp.
#include "cli.hpp"

#include <iostream>

int main(int argc, char** argv) {
  rtk::CommandStreams streams{std::cin, std::cout, std::cerr};
  return rtk::run_cli(rtk::program_arguments(argc, argv), streams);
}
