#include "testing/paths.h"
