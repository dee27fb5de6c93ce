// The platform's inet_pton/inet_ntop (Windows; posix/inet.h elsewhere),
// chosen by the build's include path (common/CMakeLists.txt).
#ifndef MDEFLEET_COMMON_TLS_WINDOWS_INET_H_
#define MDEFLEET_COMMON_TLS_WINDOWS_INET_H_

#include <winsock2.h>
// winsock2.h first: ws2tcpip.h needs it.
#include <ws2tcpip.h>

#endif  // MDEFLEET_COMMON_TLS_WINDOWS_INET_H_
