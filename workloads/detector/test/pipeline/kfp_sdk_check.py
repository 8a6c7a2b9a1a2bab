"""Loads pipeline IR YAML files with the official kfp SDK (kfp==2.17.0, kfp-kubernetes==2.17.0) and reports,
as JSON on stdout, what the SDK saw. Driven by test/pipeline/kfp-sdk.spec.ts.

stdin: {"files": [path, ...], "platform": {label: {"secret": name|null, "keys": {secretKey: envVar},
        "labels": {...}, "timeout": seconds, "uid": n}}}
stdout: {"kfp": version, "results": [...], "sdk_platform": {label: dict}}

For each file: load_component_from_file (kfp/components/load_yaml_utilities.py -> ComponentSpec.from_yaml_documents
in kfp/dsl/structures.py), then the parts the SDK leaves unchecked on load are given to the SDK's own parsers:
each platform executor config (a google.protobuf.Struct in PlatformSpec) to KubernetesExecutorConfig, the
deploymentSpec (also a Struct) to PipelineDeploymentConfig, both with json_format.ParseDict (strict), and the
loaded component is compiled as a task of a wrapper pipeline by kfp.compiler.Compiler.
"""
import json
import sys
import tempfile
import traceback

import kfp
from google.protobuf import json_format
from kfp import compiler, components, dsl
from kfp import kubernetes
from kfp.kubernetes import kubernetes_executor_config_pb2
from kfp.pipeline_spec import pipeline_spec_pb2


def error_text(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def check(path: str) -> dict:
    out = {"file": path}
    try:
        comp = components.load_component_from_file(path)
    except Exception as exc:  # noqa: BLE001 - the test wants to know what the SDK raises
        out["loaded"] = False
        out["error"] = error_text(exc)
        out["trace"] = traceback.format_exc(limit=3)
        return out
    out["loaded"] = True
    spec = comp.component_spec
    out["name"] = spec.name
    out["description"] = spec.description
    out["inputs"] = {
        name: {"type": str(i.type), "default": i.default, "optional": i.optional}
        for name, i in (spec.inputs or {}).items()
    }
    graph = spec.implementation.graph
    out["is_graph"] = graph is not None
    if graph is not None:
        out["schema_version"] = graph.schema_version
        out["sdk_version"] = graph.sdk_version
        out["tasks"] = {
            name: {
                "component": t.component_ref.name,
                "dependent_tasks": list(t.dependent_tasks),
                "enable_cache": t.caching_options.enable_cache,
            }
            for name, t in graph.root.dag.tasks.items()
        }
        deployment = json_format.MessageToDict(graph.deployment_spec)
        try:
            parsed = json_format.ParseDict(deployment, pipeline_spec_pb2.PipelineDeploymentConfig())
            out["executors"] = {
                label: {
                    "image": e.container.image,
                    "command": list(e.container.command),
                    "args": list(e.container.args),
                    "env": {v.name: v.value for v in e.container.env},
                }
                for label, e in parsed.executors.items()
            }
        except Exception as exc:  # noqa: BLE001
            out["deployment_error"] = error_text(exc)
    platform = {}
    platform_errors = {}
    k8s = spec.platform_spec.platforms.get("kubernetes")
    if k8s is not None:
        for label, struct in k8s.deployment_spec.executors.items():
            as_dict = json_format.MessageToDict(struct)
            try:
                msg = json_format.ParseDict(as_dict, kubernetes_executor_config_pb2.KubernetesExecutorConfig())
                platform[label] = json_format.MessageToDict(msg)
            except Exception as exc:  # noqa: BLE001
                platform_errors[label] = error_text(exc)
    out["platform"] = platform
    out["platform_errors"] = platform_errors
    try:
        @dsl.pipeline(name="wrapper")
        def wrapper():
            comp()

        with tempfile.NamedTemporaryFile(suffix=".yaml") as f:
            compiler.Compiler().compile(wrapper, f.name)
        out["wrapped_compile"] = "ok"
    except Exception as exc:  # noqa: BLE001
        out["wrapped_compile"] = error_text(exc)
    return out


@dsl.container_component
def _placeholder():
    return dsl.ContainerSpec(image="busybox:1.36", command=["true"])


def sdk_platform(expect: dict) -> dict:
    """What kfp-kubernetes writes for the same settings (json_format.MessageToDict of its messages)."""
    configs = {}

    @dsl.pipeline(name="platform")
    def platform_pipeline():
        for label, want in expect.items():
            task = _placeholder()
            if want.get("secret"):
                kubernetes.use_secret_as_env(task, secret_name=want["secret"], secret_key_to_env=want["keys"], optional=False)
            for k, v in want["labels"].items():
                kubernetes.add_pod_label(task, k, v)
            kubernetes.set_timeout(task, want["timeout"])
            kubernetes.set_security_context(task, run_as_user=want["uid"], run_as_group=want["uid"], run_as_non_root=True)
            configs[label] = task.platform_config["kubernetes"]

    with tempfile.NamedTemporaryFile(suffix=".yaml") as f:
        compiler.Compiler().compile(platform_pipeline, f.name)
    return configs


def main() -> None:
    request = json.load(sys.stdin)
    report = {
        "kfp": kfp.__version__,
        "results": [check(p) for p in request.get("files", [])],
        "sdk_platform": sdk_platform(request.get("platform", {})),
    }
    json.dump(report, sys.stdout, default=str)


if __name__ == "__main__":
    main()
