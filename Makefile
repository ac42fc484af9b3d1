EXTENSION = ciam_privacy
EXTVERSION = 0.1.0

MODULE_big = ciam_privacy
OBJS = $(patsubst %.c,%.o,$(wildcard src/*.c))

# The install script is assembled from the fragments in sql/install, one per
# topic, in file-name order.
INSTALL_PARTS = $(sort $(wildcard sql/install/*.sql))
DATA_built = $(EXTENSION)--$(EXTVERSION).sql

# Every sql/*.sql file is a pg_regress test, so a
# new test needs no edit here. The tests need the library preloaded and a
# server of our own (see scripts/test.sh), so they run only as installcheck.
REGRESS = $(basename $(notdir $(wildcard sql/*.sql)))
REGRESS_OPTS = --inputdir=. --load-extension=$(EXTENSION)
NO_INSTALLCHECK =

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)

# The server headers are included as system headers: some of their inline
# functions have unused parameters, which -Wextra would report in every file.
PG_CPPFLAGS = -isystem $(shell $(PG_CONFIG) --includedir-server) \
	$(shell pkg-config --cflags libcrypto gmp 2>/dev/null) -Wall -Wextra
SHLIB_LINK = $(shell pkg-config --libs libcrypto gmp 2>/dev/null || echo -lcrypto -lgmp)

# No LLVM bitcode: JIT inlining of these functions is not needed, and
# building it would require clang.
override with_llvm = no

include $(PGXS)

$(EXTENSION)--$(EXTVERSION).sql: $(INSTALL_PARTS)
	cat $^ > $@
