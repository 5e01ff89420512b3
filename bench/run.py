"""Run every benchmark (each in its own process, on its own throwaway database): `make bench`."""
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHES = ["bench_import.py", "bench_user_list.py", "bench_badge_auth.py", "bench_printer_list.py", "bench_ingest.py",
           "bench_integration_api.py", "bench_agent_poll.py", "bench_agent_latency.py", "bench_print_release.py",
           "bench_print_submission.py"]


def main() -> int:
    failed = []
    for name in BENCHES:
        print(f"=== {name}", flush=True)
        code = subprocess.call([sys.executable, str(HERE / name)], cwd=HERE.parent)
        if code:
            failed.append(name)
        print(flush=True)
    if failed:
        print("Failed or over their goal: " + ", ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
