/* Error code descriptions. */
#include "chainsweep/error.h"

const char *cs_strerror(int err)
{
	switch (err) {
	case CS_OK:
		return "success";
	case CS_ERR_NOMEM:
		return "out of memory";
	case CS_ERR_IO:
		return "input/output error";
	case CS_ERR_PARSE:
		return "malformed input";
	case CS_ERR_TOOBIG:
		return "input exceeds a limit";
	case CS_ERR_UNSUPPORTED:
		return "unsupported input";
	case CS_ERR_INVALID:
		return "invalid argument";
	case CS_ERR_DB:
		return "case database error";
	case CS_ERR_NOTFOUND:
		return "not found";
	case CS_ERR_EMPTY:
		return "nothing usable was read";
	case CS_ERR_NET:
		return "the message server could not be reached";
	case CS_ERR_TIMEOUT:
		return "no answer in time";
	case CS_ERR_FULL:
		return "full";
	default:
		return "unknown error";
	}
}
