"""Outlet batch benchmark: the CLI end to end next to the floor, for rosters of 10,000 and 100,000 rows.

    .venv/bin/python bench/outlets_batch.py [--rows 10000 100000] [--write-docs]

For each size it writes a roster with xlsxwriter (bench/out/roster-N.xlsx), then measures, each in
its own process (wall time and peak RSS from getrusage(RUSAGE_CHILDREN) of that child alone):

- cli:   ``flask --app wsgi outlets batch roster.xlsx -o result.xlsx --region 360100``
- floor: read the same file with python-calamine and write a workbook of the same size
  (one row per roster row, the twelve columns of the result's 明细, constant_memory) with xlsxwriter:
  what any implementation has to pay for reading and writing, without parsing, checking or pricing.

Target: cli <= 1.5 x floor at 100,000 rows. A benchmark, not a test: nothing asserts on time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
DOCS = ROOT / "docs" / "benchmarks.md"
SECTION = "## Outlet batch (issue 3)"
PYTHON = sys.executable

FLOOR = r"""
import sys, xlsxwriter
from python_calamine import CalamineWorkbook
rows = CalamineWorkbook.from_path(sys.argv[1]).get_sheet_by_index(0).to_python(skip_empty_area=False)
book = xlsxwriter.Workbook(sys.argv[2], {"constant_memory": True})
sheet = book.add_worksheet("明细")
money = book.add_format({"num_format": "#,##0.00"})
factor = book.add_format({"num_format": "0.0###"})
for r, cells in enumerate(rows):
    # twelve columns like the result's 明细 (service/outlets/report.py): row number, outlet, name, ID,
    # the registration's first and last month, the span's first and last month, months, monthly
    # premium, floating factor, amount
    sheet.write_number(r, 0, r + 1)
    sheet.write_string(r, 1, str(cells[0]))
    sheet.write_string(r, 2, str(cells[2]))
    sheet.write_string(r, 3, str(cells[3]))
    sheet.write_string(r, 4, str(cells[4]))
    sheet.write_string(r, 5, str(cells[5]))
    sheet.write_string(r, 6, str(cells[4]))
    sheet.write_string(r, 7, str(cells[5]))
    sheet.write_number(r, 8, 12)
    sheet.write_number(r, 9, 65.25, money)
    sheet.write_number(r, 10, 1.0, factor)
    sheet.write_number(r, 11, 783.0, money)
book.close()
"""


def _id(rng: random.Random) -> str:
    from stdnum.cn import ric

    body = f"{rng.choice(['360102', '360103', '360104', '360111', '110105'])}{rng.randint(1960, 2004)}"
    body += f"{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{rng.randint(0, 999):03d}"
    return body + ric.calc_check_digit(body + "0")


def make_roster(path: Path, rows: int, seed: int = 3, pairs: str = "") -> None:
    """A realistic roster: 200 outlets, title row, text IDs, months in the common forms, a few bad rows.

    ``pairs``: "merged" puts couriers in pairs of one outlet, the outlet cell merged over both rows (a
    common layout); "written" is the same roster with the outlet written on both rows instead.
    """
    import xlsxwriter

    rng = random.Random(seed)
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = book.add_worksheet("花名册")
    date = book.add_format({"num_format": "yyyy-mm"})
    sheet.write_string(0, 0, f"快递员参保花名册（{rows} 行）")
    headers = ["网点名称", "统一社会信用代码", "姓名", "公民身份号码", "参保起始月", "参保终止月", "浮动费率", "备注"]
    for column, title in enumerate(headers):
        sheet.write_string(1, column, title)
    outlets = [f"南昌第{i:03d}快递网点" for i in range(200)]
    outlet = outlets[0]
    for r in range(2, rows + 2):
        start = rng.randint(0, 11)
        end = rng.randint(start, 11)
        if not pairs or r % 2 == 0:
            outlet = rng.choice(outlets)
        if pairs != "merged" or r % 2 == 0:
            sheet.write_string(r, 0, outlet)
        sheet.write_string(r, 2, f"快递员{r:06d}")
        sheet.write_string(r, 3, _id(rng) if rng.random() > 0.002 else "360102199001011234")  # a few bad checksums
        if rng.random() < 0.5:
            sheet.write_datetime(r, 4, dt.datetime(2025, start + 1, 1), date)
        else:
            sheet.write_string(r, 4, f"2025-{start + 1:02d}")
        sheet.write_string(r, 5, rng.choice([f"2025-{end + 1:02d}", f"2025年{end + 1}月", f"2025/{end + 1}"]))
        if rng.random() < 0.1:
            sheet.write_number(r, 6, 1.2)
        if pairs == "merged" and r % 2 == 0 and r + 1 < rows + 2:
            sheet.merge_range(r, 0, r + 1, 0, outlet)  # after the row's other cells: constant_memory writes in order
    book.close()


def measure(command: list[str], allow_failure: bool = False) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of one child process (run alone, so RUSAGE_CHILDREN is its own)."""
    wrapper = (
        "import resource, subprocess, sys, time\n"
        "t = time.perf_counter(); code = subprocess.call(sys.argv[1:], stdout=subprocess.DEVNULL)\n"
        "wall = time.perf_counter() - t\n"
        "print(wall, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, code)\n"
    )
    output = subprocess.run([PYTHON, "-c", wrapper, *command], capture_output=True, text=True, check=True, cwd=ROOT)
    wall, rss, code = output.stdout.split()
    if code != "0" and not allow_failure:
        raise SystemExit(f"failed ({code}): {' '.join(command)}")
    return float(wall), int(rss) / 1024


def machine() -> str:
    pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    python = f"Python {platform.python_version()}"
    return f"{os.cpu_count()} cores, {pages / 2**30:.0f} GiB RAM, {python}, {platform.machine()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--repeat", type=int, default=3, help="runs of each; the best is reported")
    parser.add_argument("--write-docs", action="store_true", help=f"write the table into {DOCS.relative_to(ROOT)}")
    parser.add_argument(
        "--merged",
        action="store_true",
        help="the same roster with the outlet cell merged over pairs of rows, next to it written on both rows",
    )
    parser.add_argument(
        "--refuse", action="store_true", help="peak memory of refusing a file of 1,048,575 rows (over the row limit)"
    )
    args = parser.parse_args()
    if args.refuse:
        refuse_main(args)
        return
    if args.merged:
        merged_main(args)
        return
    OUT.mkdir(parents=True, exist_ok=True)
    os.environ["DATABASE_URL"] = f"sqlite:///{OUT / 'bench.sqlite3'}"  # its own parameter store, bundled files
    flask = str(Path(PYTHON).with_name("flask"))
    lines = [
        "| rows | file | CLI time | CLI peak RSS | floor time | floor peak RSS | CLI / floor (time) |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for rows in args.rows:
        roster = OUT / f"roster-{rows}.xlsx"
        if not roster.exists():
            make_roster(roster, rows)
        cli = [flask, "--app", "wsgi", "outlets", "batch", str(roster), "-o", str(OUT / f"result-{rows}.xlsx")]
        cli += ["--region", "360100"]
        floor = [PYTHON, "-c", FLOOR, str(roster), str(OUT / f"floor-{rows}.xlsx")]
        # in turn, repeat after repeat (as --merged does): on a shared machine a busy spell then falls on both,
        # where all the CLI's runs and then all the floor's could catch one busy and the other quiet
        cli_runs: list[tuple[float, float]] = []
        floor_runs: list[tuple[float, float]] = []
        for _ in range(args.repeat):
            cli_runs.append(measure(cli))
            floor_runs.append(measure(floor))
        cli_time, cli_rss = min(t for t, _ in cli_runs), max(m for _, m in cli_runs)
        floor_time, floor_rss = min(t for t, _ in floor_runs), max(m for _, m in floor_runs)
        lines.append(
            f"| {rows:,} | {roster.stat().st_size / 2**20:.1f} MiB | {cli_time:.2f} s | {cli_rss:.0f} MiB "
            f"| {floor_time:.2f} s | {floor_rss:.0f} MiB | {cli_time / floor_time:.2f} |"
        )
        print(lines[-1], flush=True)
    table = "\n".join(lines)
    print(table)
    if args.write_docs:
        write_docs(table, " ".join(["bench/outlets_batch.py", *sys.argv[1:]]))


def merged_main(args: argparse.Namespace) -> None:
    """The CLI on a roster whose outlet cells are merged over pairs of rows, and on the same roster without merges."""
    OUT.mkdir(parents=True, exist_ok=True)
    os.environ["DATABASE_URL"] = f"sqlite:///{OUT / 'bench.sqlite3'}"
    flask = str(Path(PYTHON).with_name("flask"))
    lines = [
        "| rows | CLI, outlet on every row | CLI, merged over pairs | floor | merged / unmerged | merged / floor |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for rows in args.rows:
        commands = {}
        for pairs in ("written", "merged"):
            roster = OUT / f"roster-{rows}-{pairs}.xlsx"
            if not roster.exists():
                make_roster(roster, rows, pairs=pairs)
            cli = [flask, "--app", "wsgi", "outlets", "batch", str(roster), "-o", str(OUT / f"result-{rows}.xlsx")]
            commands[pairs] = [*cli, "--region", "360100"]
        commands["floor"] = [
            PYTHON,
            "-c",
            FLOOR,
            str(OUT / f"roster-{rows}-written.xlsx"),
            str(OUT / f"floor-{rows}.xlsx"),
        ]
        # the three are measured in turn, repeat after repeat, so that a busy spell of the machine falls on all
        runs: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.repeat):
            for name, command in commands.items():
                runs[name].append(measure(command)[0])
        times = {name: min(values) for name, values in runs.items()}
        floor_time = times["floor"]
        lines.append(
            f"| {rows:,} | {times['written']:.2f} s | {times['merged']:.2f} s | {floor_time:.2f} s "
            f"| {times['merged'] / times['written']:.2f} | {times['merged'] / floor_time:.2f} |"
        )
        print(lines[-1], flush=True)
    table = "\n".join(lines)
    print(table)
    if args.write_docs:
        write_merged_docs(table, " ".join(["bench/outlets_batch.py", *sys.argv[1:]]))


MILLION = 1_048_575  # the rows of an Excel sheet but its header

CALAMINE_ONLY = r"""
import sys
from python_calamine import CalamineWorkbook
sheet = CalamineWorkbook.from_path(sys.argv[1]).get_sheet_by_index(0)
print(sheet.height)
"""


def make_million(path: Path) -> None:
    """The same courier on 1,048,575 rows (shared strings): a file of a few MB, a sheet of 50 million bytes."""
    import zipfile

    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rels = "http://schemas.openxmlformats.org/package/2006/relationships"
    doc = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    texts = ["网点名称", "统一社会信用代码", "姓名", "公民身份号码", "参保起始月", "参保终止月", "浮动费率", "备注"]
    texts += ["南昌第001快递网点", "张三", "360102199001010018", "2025-01", "2025-12"]
    header = "".join(f'<c r="{chr(65 + i)}1" t="s"><v>{i}</v></c>' for i in range(8))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "[Content_Types].xml",
            f'<Types xmlns="{rels.replace("relationships", "content-types")}">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/></Types>',
        )
        archive.writestr(
            "_rels/.rels",
            f'<Relationships xmlns="{rels}"><Relationship Id="rId1" Type="{doc}/officeDocument" '
            'Target="xl/workbook.xml"/></Relationships>',
        )
        archive.writestr(
            "xl/workbook.xml",
            f'<workbook xmlns="{main}" xmlns:r="{doc}"><sheets><sheet name="花名册" sheetId="1" r:id="rId1"/>'
            "</sheets></workbook>",
        )
        archive.writestr(
            "xl/_rels/workbook.xml.rels",
            f'<Relationships xmlns="{rels}"><Relationship Id="rId1" Type="{doc}/worksheet" '
            f'Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="{doc}/sharedStrings" '
            'Target="sharedStrings.xml"/></Relationships>',
        )
        archive.writestr(
            "xl/sharedStrings.xml",
            f'<sst xmlns="{main}">' + "".join(f"<si><t>{t}</t></si>" for t in texts) + "</sst>",
        )
        with archive.open("xl/worksheets/sheet1.xml", "w") as sheet:
            sheet.write(f'<worksheet xmlns="{main}"><sheetData><row r="1">{header}</row>'.encode())
            # cells without their optional reference, as some programs write them: the rows compress well
            cells = '<c t="s"><v>8</v></c><c/><c t="s"><v>9</v></c>' + "".join(
                f'<c t="s"><v>{index}</v></c>' for index in (10, 11, 12)
            )
            for r in range(2, MILLION + 2):
                sheet.write(f'<row r="{r}">{cells}</row>'.encode())
            sheet.write(b"</sheetData></worksheet>")


def refuse_main(args: argparse.Namespace) -> None:
    """Peak RSS of the CLI refusing a million-row file, next to the CLI on a small roster and the reader alone."""
    OUT.mkdir(parents=True, exist_ok=True)
    os.environ["DATABASE_URL"] = f"sqlite:///{OUT / 'bench.sqlite3'}"
    flask = str(Path(PYTHON).with_name("flask"))
    million, small = OUT / "roster-million.xlsx", OUT / "roster-100.xlsx"
    if not million.exists():
        make_million(million)
    if not small.exists():
        make_roster(small, 100)

    def cli(path: Path) -> list[str]:
        return [flask, "--app", "wsgi", "outlets", "batch", str(path), "-o", str(OUT / "refused.xlsx")]

    runs = {
        "CLI on a 100-row roster (floor: start-up, a small batch)": cli(small),
        "CLI refusing the 1,048,575-row file": cli(million),
        "python-calamine building that sheet alone (what refusing used to cost)": [
            PYTHON,
            "-c",
            CALAMINE_ONLY,
            str(million),
        ],
    }
    lines = ["| run | time | peak RSS | RSS / floor |", "|---|---:|---:|---:|"]
    floor_rss = None
    for label, command in runs.items():
        results = [measure(command, allow_failure=True) for _ in range(args.repeat)]
        best, peak = min(t for t, _ in results), max(m for _, m in results)
        floor_rss = floor_rss or peak
        lines.append(f"| {label} | {best:.2f} s | {peak:.0f} MiB | {peak / floor_rss:.2f} |")
        print(lines[-1], flush=True)
    table = "\n".join(lines)
    print(table)
    if args.write_docs:
        section = f"""{REFUSE_SECTION}

Measured by `.venv/bin/python bench/outlets_batch.py {" ".join(sys.argv[1:])}` on {dt.date.today()} ({machine()};
best time, largest peak RSS of the runs, each in a fresh process). The file: {million.stat().st_size / 2**20:.1f} MiB,
one header and the same courier on {MILLION:,} rows (over the default limit of 200,000 rows).

{table}

The rows holding a value are counted on the sheet's XML while the size check decompresses it anyway
(`service.outlets.files.RowCount`), so the file is refused (413, `too_many_rows`) before python-calamine
builds the sheet. Before, the file was refused only after the sheet had been built and its rows walked:
650 to 820 MB a file in the report of issue 12 (python-calamine's part alone is in the table above). The
refusal takes longer than the floor: the sheet's XML is decompressed and scanned once.
"""
        _write_section(REFUSE_SECTION, section)


REFUSE_SECTION = "## Refusing a million-row roster (issue 12)"
MERGED_SECTION = "## Outlet cells merged over pairs of rows (issue 12)"


def write_merged_docs(table: str, command: str) -> None:
    section = f"""{MERGED_SECTION}

Measured by `.venv/bin/python {command}` on {dt.date.today()} ({machine()}; the best of the runs).
The same generated roster twice: couriers in pairs of one outlet, the outlet written on both rows, or
written once in a cell merged over the pair (a common layout). Each run is the CLI end to end in a fresh
process; the floor is the one of the table above (reading with python-calamine and writing a workbook of
the same size), measured in the same run on the unmerged file. The three are run in turn, repeat after
repeat, and the best of each is reported.

{table}

Target (issue 12): the merged roster within 1.5 x the unmerged one at 100,000 rows. Before, every row
whose outlet cell was empty searched all the merged ranges of the sheet (100,000 rows: 30 to 55 s); now
the ranges of the outlet column are sorted once by their first row and walked along with the rows
(`service.outlets.sheets.MergedColumn`).
"""
    _write_section(MERGED_SECTION, section)


def _write_section(title: str, section: str) -> None:
    text = DOCS.read_text(encoding="utf-8") if DOCS.exists() else "# Benchmarks\n"
    if title in text:
        start = text.index(title)
        following = text.find("\n## ", start + len(title))
        text = text[:start] + section + ("\n" + text[following + 1 :] if following != -1 else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    DOCS.write_text(text, encoding="utf-8")
    print(f"written to {DOCS.relative_to(ROOT)}")


def write_docs(table: str, command: str) -> None:
    section = f"""{SECTION}

Measured by `.venv/bin/python {command}` on {dt.date.today()} ({machine()}; the machine is shared,
so times vary by a few tenths of a second between runs; the best of the runs is reported, peak RSS is the largest).

- **CLI**: `flask --app wsgi outlets batch roster.xlsx -o result.xlsx --region 360100`, end to end in a fresh
  process (start-up, parameter store, reading, checking every row, pricing, writing the four-sheet workbook).
- **Floor**: reading the same file with python-calamine plus writing a workbook of the same size (one row per
  roster row, the twelve columns and cell types of the result's 明细, xlsxwriter `constant_memory`), in a fresh
  process, with no checks and no pricing.
- Rosters: generated by the script: 200 outlets, a title row, text IDs, months as date cells and text in three
  forms, 10% with a floating factor, 0.2% with a wrong ID check digit.

{table}

Target: CLI within 1.5 x the floor at 100,000 rows.

Reading: at 10,000 rows the ratio is dominated by the fixed start-up of a fresh process (about 1 s:
imports, the schema check of the migrations, the parameter snapshot), which the floor does not pay.
At 100,000 rows the result workbook costs what the floor's does (both are written with xlsxwriter in
`constant_memory` mode); the difference is start-up, the checks of every cell (ID checksum and birth
date, months in six forms, formulas without a saved result, control characters) and pricing. Peak
memory is about twice the floor's: the checked rows are held as arrays for the vectorised pricing.

Where the time goes (issue 21, CPU seconds of one CLI run at 100,000 rows, measured in-process on
2026-12-02): start-up 1.1, the size and sheet checks of `service.outlets.files.check_file` 1.2 to 1.4 (1.8 just
after issue 21's sheet measuring landed, 0.7 before it), python-calamine building the sheet 0.8, checking
the rows 1.3 (1.75 before the class of invisible characters was written as ranges), pricing 0.5, writing
the result 8.5 to 11 (as much as the floor's own writing; CPU time too varies on a shared machine). The CLI and the
floor are run in turn, repeat after repeat, so that a busy spell of the shared machine falls on both; run
all of one and then all of the other (as this script did before 2026-12-02), the same code measured 2.37 and,
minutes later and in turn, 1.34.
"""
    text = DOCS.read_text(encoding="utf-8") if DOCS.exists() else "# Benchmarks\n"
    if SECTION in text:
        start = text.index(SECTION)
        following = text.find("\n## ", start + len(SECTION))
        text = text[:start] + section + ("\n" + text[following + 1 :] if following != -1 else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    DOCS.parent.mkdir(parents=True, exist_ok=True)
    DOCS.write_text(text, encoding="utf-8")
    print(f"written to {DOCS.relative_to(ROOT)}")


if __name__ == "__main__":
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    t0 = time.perf_counter()
    main()
    print(f"benchmark took {time.perf_counter() - t0:.0f} s", file=sys.stderr)
