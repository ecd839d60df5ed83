# The two commands of the README. Each works on a fresh machine with only Python 3.11.
.PHONY: run test lint

run:  ## Set up and start the whole app on embedded defaults, with a demo firm.
	@bash scripts/run.sh

test:  ## Set up and run the whole test suite (PostgreSQL/Redis when DATABASE_URL/REDIS_URL are set).
	@bash scripts/test.sh

lint:  ## ruff and mypy, as CI runs them.
	@bash scripts/lint.sh
