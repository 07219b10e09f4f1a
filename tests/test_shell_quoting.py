"""``optscale env`` output is evaluated by a shell: hostile values must stay data.

The values (an API key, a base URL) may come from somewhere hostile. For bash, zsh and
fish the rendered output is really evaluated, the way users do it (``eval "$(optscale
env)"``, ``optscale env --shell fish | source``), and we check that the variable holds the
value byte for byte and that none of the payloads ran (each would create ``MARK``).
PowerShell (no pwsh here) and dotenv get exact golden output, and dotenv is also sourced
by bash (``set -a; source .env``). No dotenv library is needed for any of this.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from optscale_cli.errors import UsageError
from optscale_cli.shell_env import render_env
from tests.installs import wait_for_install

VAR = "OPTSCALE_T"

# Values that are printed (quoted), never refused. Most would create MARK if a shell ran
# them; the rest check that nothing is expanded (globs, variables, =cmd, braces, ~).
HOSTILE = [
    "'; touch MARK; '",
    "$(touch MARK)",
    "`touch MARK`",
    "\\'; touch MARK; echo \\'",  # fish: \' inside single quotes is an escape
    # with shlex.quote (POSIX quoting) fish really runs `touch MARK` for these two
    "x\\'y'; touch MARK #",
    "\\''; touch MARK #",
    "\\\\'; touch MARK; echo '",
    "\\'$(touch MARK)\\'",
    "\\'(touch MARK)\\'",  # fish command substitution
    "(touch MARK)",
    '"; touch MARK; "',
    "'\"; touch MARK; #",
    "; touch MARK",
    "&& touch MARK",
    "| touch MARK",
    ">MARK",
    "\\",
    "x\\",
    "\\\\",
    "\\'",
    "'\\",
    "'",
    "''",
    "'\\''",
    "a'b\\'c\\\\'d",
    "%s",
    "%self",
    "$HOME",
    "${HOME}",
    "*",
    "?",
    "{a,b}",
    "~",
    "~root",
    "=ls",  # zsh expands =cmd in an assignment
    "a:=ls",
    "-e",
    "--help",
    "#not a comment",
    "!!",
    "  spaced  out  ",
    "",
    "héllo wörld 日本語 🚀",
    "‘’‚‛ “smart” ′",
    "sk-abc123_DEF-456",
    "https://gw.example.com:8443/v1?x=1&y=$(touch MARK)#frag",
]

SHELL_RUNNERS = {
    # argv to run, with the rendered output on stdin, printing $OPTSCALE_T
    "bash": ["bash", "--norc", "--noprofile", "-c", f'eval "$(cat)"; printf %s "${VAR}"'],
    "zsh": ["zsh", "-f", "-c", f'eval "$(cat)"; printf %s "${VAR}"'],
    # RC_QUOTES makes '' inside single quotes a literal quote: output must not depend on it
    "zsh-rc_quotes": [
        "zsh",
        "-f",
        "-c",
        f'setopt RC_QUOTES; eval "$(cat)"; printf %s "${VAR}"',
    ],
    "fish": ["fish", "--no-config", "-c", f"source; printf '%s' \"${VAR}\""],
}


def _shell_env(home: Path) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "LC_ALL": "C.UTF-8",
    }


def _need_shell(name: str) -> None:
    failed = wait_for_install("shells")  # .ci/run may still be installing fish and zsh
    if shutil.which(name) is None:
        pytest.skip(
            f"{name} is not installed, so its quoting cannot be checked for real"
            + (f"; {failed}" if failed else "")
        )


def _evaluate(runner: str, rendered: str, workdir: Path) -> subprocess.CompletedProcess[bytes]:
    argv = SHELL_RUNNERS[runner]
    _need_shell(argv[0])
    return subprocess.run(
        argv,
        input=rendered.encode("utf-8"),
        capture_output=True,
        cwd=workdir,
        env=_shell_env(workdir),
        timeout=30,
        check=False,
    )


def _marks(workdir: Path) -> list[str]:
    return sorted(p.name for p in workdir.iterdir() if p.name.startswith("MARK"))


@pytest.mark.installed
@pytest.mark.parametrize("runner", sorted(SHELL_RUNNERS))
@pytest.mark.parametrize("value", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_value_round_trips_and_runs_nothing(
    runner: str, value: str, tmp_path: Path
) -> None:
    shell = runner.split("-")[0]
    rendered = render_env({VAR: value}, shell)
    done = _evaluate(runner, rendered, tmp_path)
    assert _marks(tmp_path) == [], f"a payload ran when {runner} evaluated {rendered!r}"
    assert done.returncode == 0, done.stderr.decode("utf-8", "replace")
    assert done.stdout == value.encode("utf-8"), rendered
    assert done.stderr == b"", done.stderr.decode("utf-8", "replace")


@pytest.mark.installed
@pytest.mark.parametrize("runner", sorted(SHELL_RUNNERS))
def test_all_hostile_values_at_once(runner: str, tmp_path: Path) -> None:
    """Several variables in one output: a value must not reach into the next line."""
    shell = runner.split("-")[0]
    env = {f"OPTSCALE_T{i}": v for i, v in enumerate(HOSTILE)}
    rendered = render_env(env, shell)
    argv = list(SHELL_RUNNERS[runner])
    # print each variable followed by a NUL, then split
    if shell == "fish":
        show = "; ".join(f"printf '%s\\0' \"$OPTSCALE_T{i}\"" for i in range(len(HOSTILE)))
        argv[-1] = f"source; {show}"
    else:
        show = "; ".join(f'printf "%s\\0" "$OPTSCALE_T{i}"' for i in range(len(HOSTILE)))
        argv[-1] = argv[-1].rsplit(";", 1)[0] + f"; {show}"
    _need_shell(argv[0])
    done = subprocess.run(
        argv,
        input=rendered.encode("utf-8"),
        capture_output=True,
        cwd=tmp_path,
        env=_shell_env(tmp_path),
        timeout=30,
        check=False,
    )
    assert _marks(tmp_path) == []
    assert done.returncode == 0, done.stderr.decode("utf-8", "replace")
    assert done.stdout.split(b"\0")[:-1] == [v.encode("utf-8") for v in HOSTILE]


# --- refused values: control characters (every shell), and ' \ in dotenv ----------------

SECRET = "sk-SECRET-do-not-print"
CONTROL = ["\x00", "\n", "\r", "\r\n", "\t", "\x1b[31m", "\x01", "\x1f"]


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish", "powershell", "dotenv"])
@pytest.mark.parametrize("bad", CONTROL, ids=[repr(c) for c in CONTROL])
def test_control_characters_are_refused_without_the_value(shell: str, bad: str) -> None:
    value = f"{SECRET}{bad}touch MARK"
    with pytest.raises(UsageError) as caught:
        render_env({"OK_FIRST": "fine", "OPENAI_API_KEY": value}, shell)
    err = caught.value
    said = f"{err} {err.message} {err.hint} {err.to_dict()}"
    assert "OPENAI_API_KEY" in err.message
    assert "SECRET" not in said and "touch" not in said
    assert err.hint and "--shell" in err.hint and "optscale exec" in err.hint


DOTENV_REFUSED = ["'", "\\", "it's", "a\\nb", "\\'", "\x7f", "\x85", "\x9b"]


@pytest.mark.parametrize("bad", DOTENV_REFUSED, ids=[repr(c) for c in DOTENV_REFUSED])
def test_dotenv_refuses_quotes_and_backslashes_without_the_value(bad: str) -> None:
    with pytest.raises(UsageError) as caught:
        render_env({"ANTHROPIC_AUTH_TOKEN": f"{SECRET}{bad}"}, "dotenv")
    err = caught.value
    said = f"{err} {err.message} {err.hint} {err.to_dict()}"
    assert "ANTHROPIC_AUTH_TOKEN" in err.message
    assert "SECRET" not in said
    assert err.hint and "--shell" in err.hint and "optscale exec" in err.hint


# --- PowerShell: golden output ----------------------------------------------------------

POWERSHELL_GOLDEN = {
    "plain": "$Env:K = 'plain'\n",
    "": "$Env:K = ''\n",
    "it's": "$Env:K = 'it''s'\n",
    "'; Remove-Item MARK; '": "$Env:K = '''; Remove-Item MARK; '''\n",
    "\u2018; calc; \u2018": "$Env:K = '\u2018\u2018; calc; \u2018\u2018'\n",
    "\u2019; calc; \u2019": "$Env:K = '\u2019\u2019; calc; \u2019\u2019'\n",
    "\u201a; calc; \u201a": "$Env:K = '\u201a\u201a; calc; \u201a\u201a'\n",
    "\u201b; calc; \u201b": "$Env:K = '\u201b\u201b; calc; \u201b\u201b'\n",
    "'\u2018\u2019\u201a\u201b": "$Env:K = '''\u2018\u2018\u2019\u2019\u201a\u201a\u201b\u201b'\n",
    "\u201c$(calc)\u201d": "$Env:K = '\u201c$(calc)\u201d'\n",  # double quotes: inert here
    '"$(calc)"': "$Env:K = '\"$(calc)\"'\n",
    "`n`$x": "$Env:K = '`n`$x'\n",
    "\\'; calc; \\'": "$Env:K = '\\''; calc; \\'''\n",
    "$HOME %s *": "$Env:K = '$HOME %s *'\n",
}

_PS_SINGLE_QUOTES = "'\u2018\u2019\u201a\u201b"


def _powershell_single_quoted(literal: str) -> tuple[str, str]:
    """Read one PowerShell single-quoted string; return (its value, what follows it).

    Any of ' ‘ ’ ‚ ‛ opens and closes the string; one of them doubled is a literal.
    """
    assert literal[0] in _PS_SINGLE_QUOTES
    out, i = [], 1
    while i < len(literal):
        ch = literal[i]
        if ch in _PS_SINGLE_QUOTES:
            if i + 1 < len(literal) and literal[i + 1] in _PS_SINGLE_QUOTES:
                out.append(literal[i + 1])
                i += 2
                continue
            return "".join(out), literal[i + 1 :]
        out.append(ch)
        i += 1
    raise AssertionError(f"unterminated string: {literal!r}")


@pytest.mark.parametrize("value", sorted(POWERSHELL_GOLDEN))
def test_powershell_golden(value: str) -> None:
    assert render_env({"K": value}, "powershell") == POWERSHELL_GOLDEN[value]


@pytest.mark.parametrize("value", HOSTILE + sorted(POWERSHELL_GOLDEN))
def test_powershell_string_holds_exactly_the_value(value: str) -> None:
    line = render_env({"K": value}, "powershell")
    prefix = "$Env:K = "
    assert line.startswith(prefix)
    parsed, rest = _powershell_single_quoted(line[len(prefix) :])
    assert rest == "\n", f"text after the string would run: {rest!r}"
    # PowerShell keeps the second quote of a doubled pair; doubled as itself, that is exact
    assert parsed == value


# --- dotenv: golden output, and bash `source` ------------------------------------------

DOTENV_GOLDEN = {
    "plain": "K='plain'\n",
    "": "K=''\n",
    "$(touch MARK)": "K='$(touch MARK)'\n",
    "`touch MARK`": "K='`touch MARK`'\n",
    '"; touch MARK; "': "K='\"; touch MARK; \"'\n",
    "$HOME": "K='$HOME'\n",
    "${HOME}": "K='${HOME}'\n",
    "%s": "K='%s'\n",
    "*": "K='*'\n",
    "#x": "K='#x'\n",
    "héllo 日本語 🚀": "K='héllo 日本語 🚀'\n",
    "\u2018\u2019": "K='\u2018\u2019'\n",
    "https://gw.example.com/v1?a=1&b=2": "K='https://gw.example.com/v1?a=1&b=2'\n",
}


@pytest.mark.parametrize("value", sorted(DOTENV_GOLDEN))
def test_dotenv_golden(value: str) -> None:
    assert render_env({"K": value}, "dotenv") == DOTENV_GOLDEN[value]


SOURCE_DOTENV = f'set -a; source "$1"; printf %s "${VAR}"'
DOTENV_SAFE = [v for v in HOSTILE if "'" not in v and "\\" not in v]


@pytest.mark.parametrize("value", DOTENV_SAFE, ids=range(len(DOTENV_SAFE)))
def test_dotenv_sourced_by_bash_round_trips(value: str, tmp_path: Path) -> None:
    if shutil.which("bash") is None:
        pytest.skip("bash is not installed, so `source .env` cannot be checked for real")
    dotenv = tmp_path / ".env"
    dotenv.write_text(render_env({VAR: value}, "dotenv"), encoding="utf-8")
    done = subprocess.run(
        ["bash", "--norc", "--noprofile", "-c", SOURCE_DOTENV, "_", str(dotenv)],
        capture_output=True,
        cwd=tmp_path,
        env=_shell_env(tmp_path),
        timeout=30,
        check=False,
    )
    assert _marks(tmp_path) == []
    assert done.returncode == 0, done.stderr.decode("utf-8", "replace")
    assert done.stdout == value.encode("utf-8")


def _dotenv_single_quoted(line: str) -> tuple[str, str]:
    """What a dotenv parser does with NAME='...': the text between the quotes, verbatim.

    (npm dotenv takes it as is; python-dotenv would also unescape \\' and \\\\, which is
    why values holding ' or \\ are refused rather than written.) No dotenv package needed.
    """
    name, _, rest = line.rstrip("\n").partition("=")
    assert rest[0] == "'" and rest[-1] == "'" and "'" not in rest[1:-1] and "\\" not in rest
    return name, rest[1:-1]


@pytest.mark.parametrize("value", DOTENV_SAFE, ids=range(len(DOTENV_SAFE)))
def test_dotenv_needs_no_parser_library(value: str) -> None:
    line = render_env({"K": value}, "dotenv")
    assert line.count("\n") == 1
    assert _dotenv_single_quoted(line) == ("K", value)


def test_python_dotenv_agrees_when_installed(tmp_path: Path) -> None:
    dotenv = pytest.importorskip("dotenv", reason="python-dotenv is optional, not a dependency")
    values = {f"K{i}": v for i, v in enumerate(DOTENV_SAFE) if "$" not in v}
    path = tmp_path / ".env"
    path.write_text(render_env(values, "dotenv"), encoding="utf-8")
    assert dotenv.dotenv_values(path, interpolate=False) == values


# --- golden fish and POSIX lines for the payloads the old code got wrong ----------------


def test_fish_golden() -> None:
    assert render_env({"K": "\\'; touch MARK; echo \\'"}, "fish") == (
        "set -gx K '\\\\\\'; touch MARK; echo \\\\\\''\n"
    )
    assert render_env({"K": "a\\b"}, "fish") == "set -gx K 'a\\\\b'\n"
    assert render_env({"K": "plain"}, "fish") == "set -gx K 'plain'\n"


def test_posix_golden() -> None:
    assert render_env({"K": "it's"}, "bash") == "export K='it'\\''s'\n"
    assert render_env({"K": "=ls"}, "zsh") == "export K='=ls'\n"
    assert render_env({"K": "https://h:1/v1"}, "bash") == "export K=https://h:1/v1\n"
    assert render_env({"K": ""}, "bash") == "export K=''\n"
