"""Nothing lost, nothing sent twice, under faults (issue 4 "Fault tests"; RELIABILITY.md §8
items 1–4 and 22) — the small-scale CI run of benchmarks/faults.py.

Real processes: the provider sandbox (20% 500s, 5% 429s, windows of accepted-then-timeout,
duplicate and reordered callbacks) calls back a gunicorn serving the webhooks; a Celery
worker is SIGKILLed (its whole process group) and restarted; Redis is shut down without
saving and started again; a loop calls outbox_sweep as beat would. Then the sandbox's own
record is compared with the app's rows: every text delivered, accepted exactly once, except
a text whose answer was lost (OutcomeUnknown) and that was re-sent because no callback came
within TEXTING_OUTCOME_WAIT_SECONDS — the documented ambiguous window.
"""

import time
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings

from common.testing.faults import (
    DelayWindows,
    FaultPlan,
    Progress,
    RunLog,
    Sweeper,
    analyse,
    fill_recovery,
    inject_faults,
    pipeline,
    process_env,
    queue_texts,
    redis_ensure_running,
    redis_restartable,
    sandbox_faults,
    wait_final,
    wait_other_sessions_gone,
)
from common.testing.worker import _database_url_for_worker

pytestmark = [pytest.mark.services, pytest.mark.worker]

PLAN = FaultPlan(
    texts=40,
    kills=3,
    redis_restarts=1,
    seed=11,
    rate_limit=5.0,  # 40 texts take ≥ 8 s: the faults land while they drain
    outcome_wait=3.0,
    sweep_grace=3.0,
    stuck_sending=5.0,
    fault_span=14.0,
    final_timeout=90.0,
)


@pytest.fixture
def fault_sandbox(sandbox: Any) -> Any:
    """The session sandbox with the fault mix; its rate limit put back afterwards."""
    before = sandbox.control.settings()["rate_limit_segments_per_second"]
    sandbox.control.set_faults(**sandbox_faults(PLAN), seed=PLAN.seed)
    yield sandbox
    sandbox.control.set_faults(send_delay_seconds=0, send_500_rate=0, send_429_rate=0)
    sandbox.control.set_settings(callback_url=None, rate_limit_segments_per_second=before)


def test_every_text_is_delivered_and_sent_once_through_kills_and_a_redis_restart(
    transactional_db: None,
    texting_firm: Any,
    fault_sandbox: Any,
    settings: Any,
    tmp_path: Path,
) -> None:
    redis_url = django_settings.REDIS_URL
    if not redis_restartable(redis_url):
        pytest.skip("Redis cannot be restarted with the machine's command here")
    for name, value in PLAN.driver_settings().items():
        setattr(settings, name, value)
    event_log = tmp_path / "events.jsonl"
    env = process_env(
        database_url=_database_url_for_worker(),
        redis_url=redis_url,
        sandbox=fault_sandbox,
        plan=PLAN,
        event_log=event_log,
    )
    log = RunLog()
    firm_id = texting_firm.id
    try:
        with pipeline(plan=PLAN, sandbox=fault_sandbox, env=env, log_dir=tmp_path) as (_, worker):
            windows = DelayWindows(
                fault_sandbox.control,
                delay=PLAN.send_delay,
                window=PLAN.delay_window,
                period=PLAN.delay_period,
                seed=PLAN.seed,
                base=sandbox_faults(PLAN),
            )
            sweeper = Sweeper(PLAN.sweep_interval)
            progress = Progress(firm_id)
            loops = (windows, sweeper, progress)
            for loop in loops:
                loop.start()
            try:
                queue_texts(texting_firm, PLAN.texts, contacts=20)
                inject_faults(
                    plan=PLAN,
                    worker=worker,
                    progress=progress,
                    done=lambda: False,
                    log=log,
                    redis_restart=True,
                )
                windows.stop()  # no new late answers; what is in flight settles
                drained = wait_final(firm_id, PLAN.final_timeout)
                # Late duplicates of a callback, and any re-send, have had time to show.
                time.sleep(1.0)
            finally:
                for loop in loops:
                    loop.stop()
            fill_recovery(log, progress)
            verdict = analyse(firm_id=firm_id, control=fault_sandbox.control, event_log=event_log)
    finally:
        redis_ensure_running()
        wait_other_sessions_gone()
    print(
        verdict.line(),
        [(f.kind, round(f.restart_seconds, 1), f.recovery_seconds) for f in log.faults],
    )

    kills = [f for f in log.faults if f.kind == "worker-kill"]
    restarts = [f for f in log.faults if f.kind == "redis-restart"]
    assert len(kills) == PLAN.kills and len(restarts) == 1, log.faults
    assert drained is not None, f"not every text final in {PLAN.final_timeout}s: {verdict.line()}"
    assert verdict.lost == [], verdict.lost
    assert verdict.phantom == [], verdict.phantom
    assert verdict.texts == PLAN.texts
    assert verdict.delivered == PLAN.texts, verdict.line()
    # Exactly once, except the documented window: each extra acceptance belongs to a text
    # whose answer was lost and that was re-sent after no callback came in the wait.
    assert verdict.duplicates_unexplained == [], verdict.duplicates_unexplained
    assert all(v.message_id in verdict.lost_answer_texts for v in verdict.duplicates_ambiguous)
    assert verdict.accepted == PLAN.texts
