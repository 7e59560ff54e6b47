"""The text scenario: passages of Linux manual pages, English and translated, labelled by manual
section. The pages come from Debian packages and are only read from disk, never downloaded:

    apt-get install manpages manpages-dev manpages-de manpages-de-dev \\
        manpages-fr manpages-fr-dev manpages-es manpages-es-dev

(measured with bookworm's manpages 6.03-2 and manpages-l10n 4.18.1-1). A package's files are found
through the list dpkg keeps of it, so pages other installed software put in /usr/share/man never enter.

The task: from a passage of about 100 words, tell which section its page is in (system calls,
library functions, devices and file formats, or overviews). The shift is a mixture of domains, as in
a multilingual crawl: the target and the test set are English; 80% of the pool are German, French and
Spanish translations of the same kind of pages.
"""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import numpy as np

DPKG_INFO = Path("/var/lib/dpkg/info")
DPKG_STATUS = Path("/var/lib/dpkg/status")
PACKAGES = {"en": ("manpages", "manpages-dev"), "de": ("manpages-de", "manpages-de-dev"),
            "fr": ("manpages-fr", "manpages-fr-dev"), "es": ("manpages-es", "manpages-es-dev")}
#: Manual section -> class. Sections 4 (devices) and 5 (file formats) are one class: 4 alone has too
#: few English pages. Commands (1, 8) and games (6) are left out: the English packages have almost none.
CLASSES = {"2": 0, "3": 1, "4": 2, "5": 2, "7": 3}
CLASS_NAMES = ("system calls", "library functions", "devices and file formats", "overviews")
WORDS = 100  # words per passage
MIN_WORDS = 40  # a page's last, shorter passage is kept from this length on
MAX_PASSAGES = 10  # per page, so the longest pages do not dominate
# Per seed, the English pages are split by name (one name.section in every language): these fractions
# go to the target, the held-out sample and the test set, the rest to the pool. Translations of
# target, held-out and test pages never enter the pool.
TARGET_PAGES, HELDOUT_PAGES, TEST_PAGES = 0.08, 0.08, 0.25
N_TARGET = 300
N_HELDOUT = 300
#: The same pool size for every seed, so that a budget in % is the same number of rows (every seed
#: of the installed corpus has about 9,400-9,500 passages available at 80% translated).
POOL_SIZE = 9_000
SHIFT_FRACTION = 0.8
SHIFT = {"fraction": SHIFT_FRACTION, "kind": "German, French and Spanish translations (domain mixture)",
         "packages": PACKAGES, "words_per_passage": WORDS, "classes": CLASS_NAMES}

_COMMENT = re.compile(r'^\.\s*\\"|^\'\\"')
_REQUEST = re.compile(r"^[.'][ \t]*([A-Za-z]{1,3})\b[ \t]*")  # .B, .BR, .SH, .TP, .IP ...
_DROP = {"TH", "so", "de", "ds", "nr", "ig", "ie", "el", "if", "rm", "tr", "ft", "ps", "vs", "ne",
         "sp", "in", "ti", "ll", "na", "ad", "hy", "nh", "bp", "br", "fi", "nf", "ce", "ta", "PD",
         "IX", "UC", "Dd", "Dt", "Os"}  # layout requests; TH holds the section number itself
_FONT = re.compile(r"\\f(\[[^\]]*\]|\(..|.)")
_NAMED = re.compile(r"\\(\(..|\[[^\]]*\]|\*(\(..|\[[^\]]*\]|.))")
_ESCAPE = re.compile(r"\\[&|^~0%:/,ce-]|\\s[+-]?\d|\\\\")


def deroff(source: str) -> str:
    """The words of a roff page: comments, layout requests and the title line (it names the
    section) dropped, macro arguments and text kept, font and character escapes removed."""
    out = []
    for line in source.splitlines():
        if _COMMENT.match(line):
            continue
        m = _REQUEST.match(line)
        if m:
            if m.group(1) in _DROP:
                continue
            line = line[m.end():].replace('"', " ")
        elif line[:1] in ".'":
            continue  # another request (.if \n..., .\}) with nothing to read
        line = line.replace("\\-", "-").replace("\\e", "\\\\")
        line = _FONT.sub("", line)
        line = _NAMED.sub(" ", line)
        line = _ESCAPE.sub(" ", line)
        out.append(line)
    return " ".join(" ".join(out).split())


def passages(text: str) -> list:
    """Consecutive passages of WORDS words (the last one if it has at least MIN_WORDS), at most
    MAX_PASSAGES of them, from the start of the page."""
    words = text.split()
    out = [" ".join(words[i:i + WORDS]) for i in range(0, len(words), WORDS)
           if len(words) - i >= MIN_WORDS or i == 0]
    return out[:MAX_PASSAGES] if len(words) >= MIN_WORDS else []


def package_pages(package: str) -> list:
    """(name.section, section, path) of every real page of an installed package: links and
    one-line '.so' redirects to another page are left out."""
    listing = DPKG_INFO / f"{package}.list"
    if not listing.is_file():
        raise FileNotFoundError(f"package {package} is not installed ({listing} missing)")
    out = []
    for path in map(Path, listing.read_text().split("\n")):
        if path.suffix != ".gz" or not path.parent.name.startswith("man") or path.is_symlink() \
                or not path.is_file():
            continue
        section = path.parent.name[3:4]
        if section not in CLASSES:
            continue
        raw = gzip.open(path).read().decode("utf-8", "replace")
        if raw.lstrip().startswith(".so ") and len(raw.splitlines()) <= 3:
            continue
        out.append((path.name[:-3], section, raw))
    return out


def versions() -> dict:
    """Installed version of every package read (from dpkg's status file)."""
    found, name = {}, None
    wanted = {p for pkgs in PACKAGES.values() for p in pkgs}
    for line in DPKG_STATUS.read_text().splitlines():
        if line.startswith("Package: "):
            name = line[9:]
        elif line.startswith("Version: ") and name in wanted:
            found[name] = line[9:]
    return found


def load(_data_dir=None) -> dict:
    """Every passage: text, class, page name and language (English first, then the translations)."""
    missing = [p for pkgs in PACKAGES.values() for p in pkgs if not (DPKG_INFO / f"{p}.list").is_file()]
    if missing:
        raise FileNotFoundError(f"manual-page packages not installed: {' '.join(missing)}. Install them with "
                                f"`apt-get install {' '.join(missing)}`.")
    text, label, page, lang = [], [], [], []
    for language, packages in PACKAGES.items():
        for package in packages:
            for name, section, raw in package_pages(package):
                for passage in passages(deroff(raw)):
                    text.append(passage)
                    label.append(CLASSES[section])
                    page.append(name)
                    lang.append(language)
    return {"text": np.array(text, dtype=object), "labels": np.array(label), "page": np.array(page),
            "lang": np.array(lang), "versions": versions()}


def problem(data: dict, seed: int, pool_size: int = POOL_SIZE) -> dict:
    """Pool (at most pool_size passages, 80% translated), labels, clean (English) mask, target,
    held-out and test passages for one seed. The split is by page name, so no page, in any language,
    is on both sides of it; the pool's English share is cut down (or its translations are) to make 80%."""
    rng = np.random.default_rng(seed)
    english = data["lang"] == "en"
    names = np.unique(data["page"][english])
    names = names[rng.permutation(len(names))]
    cut = np.round(np.cumsum([TARGET_PAGES, HELDOUT_PAGES, TEST_PAGES]) * len(names)).astype(int)
    target_pages, heldout_pages, test_pages, _ = np.split(names, cut)

    def rows_of(pages, mask):
        return np.flatnonzero(mask & np.isin(data["page"], pages))

    held_back = np.concatenate([target_pages, heldout_pages, test_pages])
    en_pool = np.flatnonzero(english & ~np.isin(data["page"], held_back))
    tr_pool = np.flatnonzero(~english & ~np.isin(data["page"], held_back))
    ratio = SHIFT_FRACTION / (1 - SHIFT_FRACTION)  # translated rows per English row
    n_en = min(len(en_pool), int(len(tr_pool) / ratio + 1e-9),  # 0.8 / 0.2 is 4 + 1 ulp
               round(pool_size * (1 - SHIFT_FRACTION)))
    n_tr = min(len(tr_pool), round(n_en * ratio))
    rows = np.concatenate([rng.choice(en_pool, n_en, replace=False), rng.choice(tr_pool, n_tr, replace=False)])
    rows = rows[rng.permutation(len(rows))]
    target = rng.permutation(rows_of(target_pages, english))[:N_TARGET]
    heldout = rng.permutation(rows_of(heldout_pages, english))[:N_HELDOUT]
    test = rows_of(test_pages, english)
    text, labels = data["text"], data["labels"]
    return {"pool": text[rows], "labels": labels[rows], "clean": english[rows], "target": text[target],
            "heldout": text[heldout], "test": text[test], "test_labels": labels[test]}
