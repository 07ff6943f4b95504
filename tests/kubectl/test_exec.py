"""`kubectl exec` in the console, end to end through the lab API's in-process transport."""

from clusterlab.kubectl.cli import run


def _deploy(live_transport, live_cluster):
    assert run("create deployment web --image=nginx:1.27", live_transport).exit_code == 0
    live_cluster.advance(10)


def test_exec_output_and_exit_codes(live_transport, live_cluster):
    _deploy(live_transport, live_cluster)
    r = run("exec deploy/web -- hostname", live_transport)
    assert r.exit_code == 0 and r.stdout.startswith("web-") and r.stderr == ""
    r = run('exec deploy/web -- sh -c "echo x; exit 4"', live_transport)
    assert (r.stdout, r.stderr, r.exit_code) == ("x\n", "command terminated with exit code 4\n", 4)
    r = run("exec -i deploy/web -- cat", live_transport, stdin="hello\n")
    assert r.stdout == "hello\n"


def test_exec_errors_as_kubectl_prints_them(live_transport, live_cluster):
    _deploy(live_transport, live_cluster)
    r = run("exec deploy/web -- nope", live_transport)
    assert r.exit_code == 1
    assert r.stderr.startswith("error: Internal error occurred: error executing command in container")
    assert r.stderr.endswith('exec: "nope": executable file not found in $PATH: unknown\n')
    assert run("exec", live_transport).stderr == "error: pod, type/name or --filename must be specified\n"
    r = run("exec deploy/web", live_transport)
    assert r.stderr == "error: you must specify at least one command for the container\n"
    r = run("exec nosuch -- ls", live_transport)
    assert r.stderr == 'Error from server (NotFound): pods "nosuch" not found\n'
    r = run("exec deploy/web hostname", live_transport)
    assert r.stderr.startswith("kubectl exec [POD] [COMMAND] is DEPRECATED") and r.exit_code == 0
