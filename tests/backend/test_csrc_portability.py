"""The C kernels in csrc/ build beyond glibc + GCC: every GCC-only construct
sits in a block guarded by a compiler check (so MSVC sees portable C), the
headers compile as strict C99, and they compile, link and run with musl
(where the AVX2 ifunc clones must be left out: musl has no ifunc)."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

CSRC = Path(__file__).resolve().parents[2] / "csrc"
HEADERS = sorted(CSRC.glob("*.h"))

#: Syntax MSVC's C compiler rejects (GCC and Clang extensions).
GCC_ONLY = re.compile(r"__attribute__|__builtin_\w+|__atomic_\w+|__ATOMIC_\w+|__sync_\w+"
                      r"|__asm__|\basm\b|__typeof__|\btypeof\b|__extension__")
#: A preprocessor condition that holds only under GCC-compatible compilers.
COMPILER_CHECK = re.compile(r"defined\s*\(?\s*(__GNUC__|__clang__)\b")


def _strip_comments(text):
    """The source with comments blanked (line breaks kept, so lines still count)."""
    text = re.sub(r"/\*.*?\*/", lambda m: re.sub(r"[^\n]", " ", m.group()), text, flags=re.S)
    return re.sub(r"//[^\n]*", "", text)


def _logical_lines(text):
    """(first line number, line) with backslash continuations joined."""
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        start, line = i + 1, lines[i]
        while line.endswith("\\") and i + 1 < len(lines):
            i += 1
            line = line[:-1] + " " + lines[i]
        yield start, line
        i += 1


def unguarded_gcc_syntax(text):
    """``(line, token)`` for each GCC-only token outside every ``#if`` block
    whose condition checks the compiler. A macro defined inside such a block
    counts as a compiler check where a later condition tests it (e.g.
    FM_PHILOX_AVX2)."""
    guard_macros = set()
    stack = []  # per open #if: whether this branch is compiler-guarded
    found = []
    for number, line in _logical_lines(_strip_comments(text)):
        directive = re.match(r"\s*#\s*(\w+)(.*)", line)
        if directive:
            word, rest = directive.groups()
            names = set(re.findall(r"\b\w+\b", rest))
            guarded = bool(COMPILER_CHECK.search(rest)) or bool(names & guard_macros)
            if word in ("if", "ifdef"):
                stack.append(guarded)
                continue
            if word == "ifndef":
                stack.append(False)  # a negated check guards nothing
                continue
            if word in ("elif", "else"):
                # an #else of a compiler check is the non-GCC branch
                stack[-1] = guarded if word == "elif" else False
                continue
            if word == "endif":
                stack.pop()
                continue
            if word == "define" and any(stack):
                guard_macros.add(rest.split()[0].split("(")[0])
                continue
        if any(stack):
            continue
        for token in GCC_ONLY.findall(line):
            found.append((number, token))
    return found


def test_the_guard_check_finds_unguarded_syntax():
    # the checker itself: what it must flag and what it must let through
    assert unguarded_gcc_syntax("static void f(void) { __builtin_prefetch(p, 0, 0); }\n")
    assert unguarded_gcc_syntax("#ifdef __linux__\n#define A __attribute__((x))\n#endif\n")
    assert unguarded_gcc_syntax("#if defined(__GNUC__)\n#else\n__asm__(\"nop\");\n#endif\n")
    assert not unguarded_gcc_syntax("#if defined(__GNUC__)\n#define P(p) __builtin_prefetch(p)\n#endif\n")
    assert not unguarded_gcc_syntax("#if defined(__GNUC__)\n#define G 1\n#endif\n"
                                    "#ifdef G\nint f(void) { return __builtin_cpu_supports(\"avx2\"); }\n"
                                    "#endif\n")
    assert not unguarded_gcc_syntax("/* __attribute__ in a comment */\n")


@pytest.mark.parametrize("header", HEADERS, ids=lambda p: p.name)
def test_gcc_only_syntax_is_guarded(header):
    assert unguarded_gcc_syntax(header.read_text()) == [], (
        f"{header.name}: GCC-only syntax outside a compiler-guarded #if block (MSVC rejects it)")


def _translation_unit(tmp_path, header):
    """A C file including ``header`` the way the extension does: Python.h
    (first in every Cython module) defines _GNU_SOURCE before any libc header."""
    source = tmp_path / f"use_{header.stem}.c"
    source.write_text(f'#define _GNU_SOURCE 1\n#include "{header.name}"\nint fm_tu_{header.stem};\n')
    return source


def _compile(compiler, source, out, *flags):
    result = subprocess.run([compiler, "-std=c99", "-O2", *flags, "-I", str(CSRC), "-c",
                             str(source), "-o", str(out)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


@pytest.mark.skipif(shutil.which("gcc") is None, reason="no gcc")
@pytest.mark.parametrize("header", HEADERS, ids=lambda p: p.name)
def test_headers_are_strict_c99(tmp_path, header):
    _compile("gcc", _translation_unit(tmp_path, header), tmp_path / "out.o",
             "-pedantic-errors", "-Wall", "-Wno-unused-function")


MUSL = shutil.which("musl-gcc")
needs_musl = pytest.mark.skipif(MUSL is None, reason="musl-gcc not installed (Debian: musl-tools)")


@needs_musl
@pytest.mark.parametrize("header", HEADERS, ids=lambda p: p.name)
def test_headers_compile_with_musl(tmp_path, header):
    _compile(MUSL, _translation_unit(tmp_path, header), tmp_path / "out.o")


def _expanded(compiler, tmp_path):
    source = _translation_unit(tmp_path, CSRC / "fm_dense.h")
    result = subprocess.run([compiler, "-std=c99", "-E", "-I", str(CSRC), str(source)],
                            capture_output=True, text=True, check=True)
    return result.stdout


@needs_musl
def test_musl_builds_no_ifunc_clones(tmp_path):
    # target_clones needs an ifunc, which musl's loader lacks (link or load failure)
    assert "target_clones" not in _expanded(MUSL, tmp_path)


@pytest.mark.skipif(shutil.which("gcc") is None or sys.platform != "linux"
                    or os.uname().machine != "x86_64", reason="the clones are for x86-64 Linux")
def test_glibc_keeps_the_avx2_clones(tmp_path):
    if subprocess.run(["gcc", "-dM", "-E", "-include", "features.h", "-"], input="",
                      capture_output=True, text=True).stdout.find("__GLIBC__") < 0:
        pytest.skip("not glibc")
    assert "target_clones" in _expanded("gcc", tmp_path)


PHILOX_PROGRAM = r"""
#define _GNU_SOURCE 1
#include <stdio.h>
#include "fm_philox.h"
#include "fm_step.h"

/* The run-time dispatch (__builtin_cpu_supports on x86-64) against the one
 * block at a time reference; the pool started and stopped on musl's threads. */
int main(void)
{
    fm_philox_stream s = {{1234u, 0u}, {7u, 0u}};
    uint32_t fast[4 * 100], slow[4];
    fm_philox_lanes(s, 5u, 100, fast);
    for (size_t i = 0; i < 100; ++i) {
        fm_philox_block(s, 5u + i, slow);
        for (int t = 0; t < 4; ++t)
            if (fast[4 * i + (size_t)t] != slow[t]) {
                printf("mismatch at block %zu\n", i);
                return 1;
            }
    }
    fm_pool *pool = fm_pool_create(3);
    if (pool == NULL)
        return 2;
    fm_pool_destroy(pool);
    printf("ok\n");
    return 0;
}
"""


@needs_musl
def test_musl_program_links_and_runs(tmp_path):
    if not any(Path("/lib").glob("ld-musl-*")):
        pytest.skip("no musl loader to run the program")
    source = tmp_path / "philox_musl.c"
    source.write_text(PHILOX_PROGRAM)
    exe = tmp_path / "philox_musl"
    result = subprocess.run([MUSL, "-std=c99", "-O2", "-I", str(CSRC), str(source), "-o", str(exe),
                             "-pthread", "-lm"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    # without LD_PRELOAD: a sanitizer run (scripts/sanitize.sh) preloads glibc's
    # libasan, which musl's loader cannot load
    env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}
    run = subprocess.run([str(exe)], capture_output=True, text=True, timeout=60, env=env)
    assert run.returncode == 0 and run.stdout.strip() == "ok", run.stdout + run.stderr
