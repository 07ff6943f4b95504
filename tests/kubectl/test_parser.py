"""The command line, parsed as kubectl 1.32's cobra/pflag parse it.

Every expected error text below was produced by the real `kubectl.1.32` binary (offline:
these errors come before any request).
"""

import pytest

from clusterlab.kubectl.errors import CommandError
from clusterlab.kubectl.parser import parse, tokenize


def err(line: str) -> str:
    with pytest.raises(CommandError) as info:
        parse(tokenize(line))
    return info.value.render()


def test_flags_anywhere_grouped_and_attached() -> None:
    p = parse(tokenize("kubectl -n kube-system get pods -Ao yaml --show-labels -l app=web,tier=x"))
    assert p.command == "get"
    assert p.args == ["pods"]
    assert p.flags["namespace"] == "kube-system"
    assert p.flags["all-namespaces"] is True
    assert p.flags["output"] == "yaml"
    assert p.flags["show-labels"] is True
    assert p.flags["selector"] == "app=web,tier=x"
    assert parse(tokenize("get pods -oyaml")).flags["output"] == "yaml"
    assert parse(tokenize("get pods -n=dev")).flags["namespace"] == "dev"
    assert parse(tokenize("get pods --show-labels=false")).flags["show-labels"] is False


def test_subcommands_repeatable_flags_and_double_dash() -> None:
    p = parse(tokenize("create deployment web --image=nginx --image redis --replicas 3"))
    assert (p.command, p.args, p.flags["image"], p.flags["replicas"]) == (
        "create deployment",
        ["web"],
        ("nginx", "redis"),
        3,
    )
    p = parse(tokenize("run box --image=busybox --command -- sleep 3600"))
    assert p.args == ["box", "sleep", "3600"]
    assert parse(tokenize("get pods -L app -L tier")).flags["label-columns"] == ("app", "tier")


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("foo", 'error: unknown command "foo" for "kubectl"\n\nDid you mean this?\n\ttop\n'),
        ("desc", 'error: unknown command "desc" for "kubectl"\n\nDid you mean this?\n\tdescribe\n'),
        ("cre", 'error: unknown command "cre" for "kubectl"\n\nDid you mean this?\n\tcreate\n\tcp\n'),
        (
            "del pod x",
            'error: unknown command "del" for "kubectl"\n\nDid you mean this?\n\tset\n\tget\n\tdelete\n',
        ),
        ("lgos", 'error: unknown command "lgos" for "kubectl"\n\nDid you mean this?\n\tlogs\n'),
        ("xyzzy", 'error: unknown command "xyzzy" for "kubectl"\n'),
        ("get pods --foo", "error: unknown flag: --foo\nSee 'kubectl get --help' for usage.\n"),
        ("get pods -z", "error: unknown shorthand flag: 'z' in -z\nSee 'kubectl get --help' for usage.\n"),
        ("get pods -Az", "error: unknown shorthand flag: 'z' in -z\nSee 'kubectl get --help' for usage.\n"),
        ("get pods -n", "error: flag needs an argument: 'n' in -n\nSee 'kubectl get --help' for usage.\n"),
        (
            "get pods --namespace",
            "error: flag needs an argument: --namespace\nSee 'kubectl get --help' for usage.\n",
        ),
        (
            "scale deploy web --replicas=x",
            'error: invalid argument "x" for "--replicas" flag: strconv.ParseInt: parsing "x": '
            "invalid syntax\n"
            "See 'kubectl scale --help' for usage.\n",
        ),
        (
            "get pods -w=x",
            'error: invalid argument "x" for "-w, --watch" flag: strconv.ParseBool: parsing "x": '
            "invalid syntax\n"
            "See 'kubectl get --help' for usage.\n",
        ),
        ("rollout foo", "error: unknown command \"foo\"\nSee 'kubectl rollout -h' for help and examples\n"),
    ],
)
def test_errors_as_kubectl_words_them(line: str, expected: str) -> None:
    assert err(line) == expected


def test_known_but_unsupported_commands_and_bad_quoting() -> None:
    assert err("port-forward web 8080:80") == (
        'error: "kubectl port-forward" is not available in this console\n'
    )
    assert "cannot parse the command line" in err("get pods -l 'app=web")
