"""The default thread count: physical performance cores, read from a sysfs tree laid out as
the kernel does."""

from aded_engine.cpu_cores import default_threads, parse_cpu_list, physical_cores_linux


def sysfs(tmp_path, siblings: dict[int, str], performance: str | None = None):
    for cpu, text in siblings.items():
        topology = tmp_path / "system" / "cpu" / f"cpu{cpu}" / "topology"
        topology.mkdir(parents=True)
        (topology / "core_cpus_list").write_text(text + "\n")
    if performance is not None:
        (tmp_path / "cpu_core").mkdir()
        (tmp_path / "cpu_core" / "cpus").write_text(performance + "\n")
    return tmp_path


def test_cpu_lists_read_as_the_kernel_writes_them():
    assert parse_cpu_list("0-3,8,10-11\n") == {0, 1, 2, 3, 8, 10, 11}
    assert parse_cpu_list("5") == {5}


def test_smt_siblings_count_once(tmp_path):
    # 4 cores with 2 threads each: cpu N and N+4 share a core
    root = sysfs(tmp_path, {c: f"{c % 4},{c % 4 + 4}" for c in range(8)})
    assert physical_cores_linux(set(range(8)), root) == 4
    assert physical_cores_linux({0, 4}, root) == 1  # affinity to one core's two threads


def test_efficiency_cores_are_left_out(tmp_path):
    # hybrid: cpus 0-3 are two performance cores with SMT, 4-7 four efficiency cores
    siblings = {0: "0-1", 1: "0-1", 2: "2-3", 3: "2-3", 4: "4", 5: "5", 6: "6", 7: "7"}
    root = sysfs(tmp_path, siblings, performance="0-3")
    assert physical_cores_linux(set(range(8)), root) == 2


def test_unreadable_topology_gives_no_answer(tmp_path):
    assert physical_cores_linux({0, 1}, tmp_path) is None


def test_this_machine_gets_at_least_one_thread_and_no_more_than_its_cpus():
    import os
    assert 1 <= default_threads() <= (os.cpu_count() or 1)
