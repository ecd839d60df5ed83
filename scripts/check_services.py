"""Fail loudly, before any test runs, when DATABASE_URL or REDIS_URL is set but unreachable."""

import os
import sys

import environ


def main() -> int:
    problems = []
    database_url = os.environ.get("DATABASE_URL", "")
    if database_url and not database_url.startswith("sqlite"):
        config = environ.Env.db_url_config(database_url)
        try:
            import psycopg

            psycopg.connect(
                host=config.get("HOST") or None,
                port=config.get("PORT") or None,
                user=config.get("USER") or None,
                password=config.get("PASSWORD") or None,
                dbname="postgres",
                connect_timeout=5,
            ).close()
        except Exception as error:
            problems.append(f"PostgreSQL at DATABASE_URL is not reachable: {error}")
    redis_url = os.environ.get("REDIS_URL", "")
    if redis_url:
        try:
            import redis

            redis.Redis.from_url(redis_url, socket_connect_timeout=5).ping()
        except Exception as error:
            problems.append(f"Redis at REDIS_URL is not reachable: {error}")
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
