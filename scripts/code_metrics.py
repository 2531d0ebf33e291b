"""Code-shape figures for a tree: module sizes (median, p90, largest) per package, functions over 40 lines,
radon cyclomatic-complexity blocks at grade C or worse, and ruff/mypy counts.

    python scripts/code_metrics.py [ROOT]      # ROOT defaults to the repository

Used for the architecture issue's before/after figures (run it on a checkout of each commit).
"""

from __future__ import annotations

import ast
import statistics
import subprocess
import sys
from pathlib import Path


def lines(path: Path) -> int:
    return sum(1 for _ in path.open(encoding="utf-8"))


def long_functions(path: Path, limit: int = 40) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            if length > limit:
                out.append(f"{path}:{node.lineno} {node.name} ({length} lines)")
    return out


def package_sizes(root: Path, package: str) -> str:
    files = sorted((root / package).rglob("*.py"))
    sizes = sorted(lines(f) for f in files if f.name != "__init__.py")
    if not sizes:
        return f"{package}: no modules"
    p90 = sizes[min(len(sizes) - 1, int(round(0.9 * (len(sizes) - 1))))]
    largest = max(files, key=lines)
    return (
        f"{package}: {len(sizes)} modules, median {statistics.median(sizes):.0f} lines, p90 {p90}, "
        f"largest {largest.relative_to(root)} ({lines(largest)})"
    )


def tool_count(cmd: list[str], root: Path, marker: str) -> str:
    try:
        out = subprocess.run(cmd, cwd=root, capture_output=True, text=True, timeout=600)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"not run ({exc})"
    text = out.stdout + out.stderr
    return str(sum(1 for line in text.splitlines() if marker in line))


def main() -> int:
    root = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).parents[1]).resolve()
    bin_dir = Path(sys.executable).parent
    for package in ("embedstudio/core", "embedstudio/gui", "embedstudio/gui/panels"):
        print(package_sizes(root, package))
    longs = [f for p in sorted((root / "embedstudio").rglob("*.py")) for f in long_functions(p)]
    print(f"functions over 40 lines: {len(longs)}")
    for item in longs:
        print(f"  {Path(item).relative_to(root) if item.startswith(str(root)) else item}")
    radon = subprocess.run(
        [str(bin_dir / "radon"), "cc", "-n", "C", "-s", "embedstudio"], cwd=root, capture_output=True, text=True
    )
    blocks = [line.strip() for line in radon.stdout.splitlines() if line.startswith("    ")]
    print(f"radon blocks at C or worse: {len(blocks)}")
    for block in blocks:
        print(f"  {block}")
    print(
        "ruff errors:",
        tool_count(
            [
                str(bin_dir / "ruff"),
                "check",
                "--output-format",
                "concise",
                "--no-cache",
                "embedstudio",
                "tests",
                "benchmarks",
                "scripts",
            ],
            root,
            ": ",
        ),
    )
    # mypy over the files pyproject.toml names (the core only before the GUI was added), as CI runs it.
    print("mypy errors (pyproject's files):", tool_count([str(bin_dir / "mypy")], root, ": error:"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
