#!/usr/bin/env python3
"""Oracle for internal/hydra's ReadEvalPage (evalpage_test.go).

Reads a Hydra evaluation page (jobset-eval.tt) with BeautifulSoup and lxml
and prints its build rows, one JSON object a line, in page order:
tab, build, job, system, title, stop, nixname. On stderr its last line is
{"maxrss_kb": ..., "vmhwm_kb": ..., "seconds": ..., "cpu_seconds": ..., "rows": ...}
(resource.getrusage, /proc/self/status).

It shares no code with the Go parser: it reads the whole document into a
tree, as nix-review-tools and hydra-check do. Columns are found by their
header text (common.tt, renderBuildListHeader); the status column is the
first header-less one. Debian packages: python3-bs4, python3-lxml.
"""

import json
import resource
import sys
import time

from bs4 import BeautifulSoup

TABS = (
    "tabs-aborted",
    "tabs-now-fail",
    "tabs-now-succeed",
    "tabs-new",
    "tabs-removed",
    "tabs-still-fail",
    "tabs-still-succeed",
    "tabs-unfinished",
)

HEADERS = {
    "#": "id",
    "Job": "job",
    "Finished at": "stop",
    "Queued at": "stop",
    "Package/release name": "name",
    "System": "system",
}


def text(tag):
    return tag.get_text().strip(" \t\n\r\f")


def rows_of(table, tab):
    cols = None
    for tr in table.find_all("tr"):
        cells = tr.find_all(["td", "th"], recursive=False)
        if cells and all(c.name == "th" for c in cells):
            cols = {}
            for i, c in enumerate(cells):
                h = text(c)
                if h == "" and "status" not in cols:
                    cols["status"] = i
                elif h in HEADERS:
                    cols[HEADERS[h]] = i
            continue
        if len(cells) == 1 and cells[0].get("colspan"):
            continue  # "(N more builds omitted)"
        job_cell = cells[cols["job"]]
        link = job_cell.find("a")
        row = {
            "tab": tab,
            "build": 0,
            "job": text(link if link is not None else job_cell),
            "system": text(cells[cols["system"]]),
            "title": "",
            "stop": 0,
            "nixname": "",
        }
        if tab != "tabs-removed":
            row["build"] = int(text(cells[cols["id"]]))
            row["title"] = cells[cols["status"]].find("img")["title"]
            if "stop" in cols:
                t = cells[cols["stop"]].find("time")
                if t is not None:
                    row["stop"] = int(t["data-timestamp"])
            if "name" in cols:
                row["nixname"] = text(cells[cols["name"]])
        yield row


def main():
    start = time.monotonic()
    with open(sys.argv[1], "rb") as f:
        soup = BeautifulSoup(f, "lxml")
    n = 0
    out = sys.stdout
    for pane in soup.find_all("div", class_="tab-pane"):
        tab = pane.get("id")
        if tab not in TABS:
            continue
        for table in pane.find_all("table"):
            for row in rows_of(table, tab):
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
                n += 1
    out.flush()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(
        json.dumps(
            {
                "maxrss_kb": usage.ru_maxrss,
                "vmhwm_kb": vmhwm_kb(),
                "seconds": time.monotonic() - start,
                "cpu_seconds": usage.ru_utime + usage.ru_stime,
                "rows": n,
            }
        ),
        file=sys.stderr,
    )


def vmhwm_kb():
    """This process's own peak RSS. ru_maxrss also counts the peak of the
    process that started it, until the exec (Linux's exec keeps the old
    mm's high-water mark), which for a Go test binary may be the larger."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


if __name__ == "__main__":
    main()
