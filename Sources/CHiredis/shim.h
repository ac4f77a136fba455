#ifndef STREAMHUB_CHIREDIS_SHIM_H
#define STREAMHUB_CHIREDIS_SHIM_H
/* hiredis for Swift: redisCommand is variadic, so callers use redisCommandArgv / redisAppendCommandArgv. */
#include <hiredis/hiredis.h>
#endif
