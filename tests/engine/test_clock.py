from clusterlab.engine.clock import Clock


def test_events_fire_in_time_then_schedule_order():
    clock = Clock()
    fired: list[str] = []
    clock.call_at(2.0, lambda: fired.append("b"))
    clock.call_at(1.0, lambda: fired.append("a"))
    clock.call_at(2.0, lambda: fired.append("c"))
    clock.run_until(1.5)
    assert fired == ["a"] and clock.now == 1.5
    clock.run_until(10)
    assert fired == ["a", "b", "c"] and clock.now == 10


def test_late_timers_run_after_work_created_at_the_same_instant():
    clock = Clock()
    fired: list[str] = []
    clock.call_at(5.0, lambda: fired.append("observer"), late=True)
    clock.call_at(5.0, lambda: clock.call_soon(lambda: fired.append("delivery")))
    clock.run_until(5.0)
    assert fired == ["delivery", "observer"]


def test_cancelled_timer_never_fires_and_step_moves_time():
    clock = Clock()
    fired: list[int] = []
    t = clock.call_later(3, lambda: fired.append(1))
    clock.call_later(4, lambda: fired.append(2))
    t.cancel()
    assert clock.next_time() == 4
    assert clock.step() is True
    assert fired == [2] and clock.now == 4
    assert clock.step() is False


def test_periodic_sums_stay_exact():
    clock = Clock()
    ticks: list[float] = []

    def tick() -> None:
        ticks.append(clock.now)
        clock.call_later(0.1, tick)

    clock.call_later(0.1, tick)
    clock.run_until(100)
    assert ticks[-1] == 100.0 and len(ticks) == 1000
