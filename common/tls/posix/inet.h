// The platform's inet_pton/inet_ntop (POSIX; windows/inet.h on Windows),
// chosen by the build's include path (common/CMakeLists.txt).
#ifndef MDEFLEET_COMMON_TLS_POSIX_INET_H_
#define MDEFLEET_COMMON_TLS_POSIX_INET_H_

#include <arpa/inet.h>

#endif  // MDEFLEET_COMMON_TLS_POSIX_INET_H_
