"""Run a Pulumi Python program under mocks and record every resource it registers.

This is what `pulumi preview` does up to the point where the engine calls providers: the
program runs with a stack's config, and each RegisterResource request is kept (type, name,
parent, inputs, options) so the policy pack and the tests can read exactly what the
program asked for.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import os
import runpy
import sys
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import yaml
from google.protobuf import json_format
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc, settings
from pulumi.runtime.sync_await import _sync_await

from policies.mocks import ProgramMocks

SECRET_PLACEHOLDER = "[secret]"  # noqa: S105 -- what a secret value is shown as
LEFTOVER_TASKS_TIMEOUT_SECONDS = 10


class ProgramError(Exception):
    """The program or its config could not be run; the message says why."""


@dataclass(frozen=True)
class RegisteredResource:
    urn: str
    type: str
    name: str
    custom: bool
    parent_urn: str
    inputs: dict[str, Any]
    provider: str
    protect: bool
    ignore_changes: tuple[str, ...]
    dependencies: tuple[str, ...]
    secret_paths: tuple[str, ...] = ()
    property_dependencies: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Input name -> URNs of the resources its value came from (how rules join resources at
    preview).
    """


@dataclass
class ProgramRun:
    project: str
    stack: str
    resources: list[RegisteredResource] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    secret_outputs: set[str] = field(default_factory=set)
    config: dict[str, str] = field(default_factory=dict)
    """The stack config as the program got it (`<namespace>:<key>` -> text, secrets as
    placeholders).
    """
    entry_point: Path = Path("__main__.py")
    """The file that ran: the project's `main` (a file, or a folder's `__main__.py`)."""

    def of_type(self, resource_type: str) -> list[RegisteredResource]:
        return [resource for resource in self.resources if resource.type == resource_type]

    def named(self, name: str) -> RegisteredResource:
        matches = [resource for resource in self.resources if resource.name == name]
        if len(matches) != 1:
            raise KeyError(f"{len(matches)} resources named {name!r}")
        return matches[0]

    def children_of(self, parent_urn: str) -> list[RegisteredResource]:
        return [resource for resource in self.resources if resource.parent_urn == parent_urn]


def _unwrap_secrets(value: Any, path: str, secret_paths: list[str]) -> Any:
    """Plain values for rules to read; where the secrets were is kept in `secret_paths`."""
    if isinstance(value, dict):
        if value.get(rpc._special_sig_key) == rpc._special_secret_sig:
            secret_paths.append(path or ".")
            return _unwrap_secrets(value.get("value"), path, secret_paths)
        return {
            key: _unwrap_secrets(item, f"{path}.{key}" if path else key, secret_paths)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [
            _unwrap_secrets(item, f"{path}[{index}]", secret_paths)
            for index, item in enumerate(value)
        ]
    return value


class RecordingMonitor(pulumi_mocks.MockMonitor):
    """The stock mock monitor, plus a record of each registration and the stack outputs."""

    def __init__(self, mocks: pulumi.runtime.Mocks, run: ProgramRun):
        super().__init__(mocks)
        self.run = run
        self.stack_urn = ""

    def RegisterResource(self, request: Any) -> Any:
        request = _without_resource_references(request)
        response = super().RegisterResource(request)  # type: ignore[no-untyped-call]  # untyped SDK
        self._register_nested_resources()
        if request.type == "pulumi:pulumi:Stack":
            self.stack_urn = response.urn
            return response
        secret_paths: list[str] = []
        inputs = _unwrap_secrets(
            rpc.deserialize_properties(request.object, keep_unknowns=True), "", secret_paths
        )
        self.run.resources.append(
            RegisteredResource(
                urn=response.urn,
                type=request.type,
                name=request.name,
                custom=request.custom,
                parent_urn=request.parent,
                inputs=inputs,
                provider=request.provider,
                protect=request.protect,
                ignore_changes=tuple(request.ignoreChanges),
                dependencies=tuple(request.dependencies),
                secret_paths=tuple(secret_paths),
                property_dependencies={
                    key: tuple(value.urns) for key, value in request.propertyDependencies.items()
                },
            )
        )
        return response

    def _register_nested_resources(self) -> None:
        """Resources a remote component returns by reference; the SDK looks each one up by URN."""
        for urn, (resource_id, state) in getattr(self.mocks, "nested_resources", {}).items():
            self.resources.setdefault(
                urn, pulumi_mocks.MockMonitor.ResourceRegistration(urn, resource_id, state)
            )


def _dereferenced(value: Any) -> Any:
    if isinstance(value, dict):
        if value.get(rpc._special_sig_key) == rpc._special_resource_sig:
            return (value["id"] or rpc.UNKNOWN) if "id" in value else value["urn"]
        return {key: _dereferenced(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_dereferenced(item) for item in value]
    return value


def _without_resource_references(request: Any) -> Any:
    """The request with each resource reference in its inputs replaced by the resource's ID
    (custom resource) or URN (component), as the engine hands inputs to an analyzer.

    Deserializing a reference would construct the resource on the monitor's thread and event
    loop, and the program's loop would then wait on it: a cross-loop error or a hang.
    """
    plain = type(request)()
    plain.CopyFrom(request)
    plain.object.Clear()
    plain.object.update(_dereferenced(json_format.MessageToDict(request.object)))
    return plain


def load_project(program_dir: Path) -> dict[str, Any]:
    project_file = program_dir / "Pulumi.yaml"
    if not project_file.is_file():
        raise ProgramError(f"{program_dir} has no Pulumi.yaml")
    project = yaml.safe_load(project_file.read_text()) or {}
    runtime = project.get("runtime")
    runtime_name = runtime.get("name") if isinstance(runtime, dict) else runtime
    if runtime_name != "python":
        raise ProgramError(
            f"{project_file}: runtime must be python, got {project.get('runtime')!r}"
        )
    return project


def _config_value(value: Any) -> tuple[str, bool]:
    """Config as the engine hands it to the program: strings, objects as JSON, secrets opaque."""
    if isinstance(value, dict) and set(value) == {"secure"}:
        return SECRET_PLACEHOLDER, True
    if isinstance(value, str):
        return value, False
    return json.dumps(value), False


def _stack_config_dir(program_dir: Path, project: dict[str, Any]) -> Path:
    """Where stack settings files live: beside Pulumi.yaml, or in its `stackConfigDir`."""
    return program_dir / str(project.get("stackConfigDir") or ".")


def stack_config_file(program_dir: Path, project: dict[str, Any], stack: str) -> Path:
    return _stack_config_dir(program_dir, project) / f"Pulumi.{stack}.yaml"


def stack_names(program_dir: Path, project: dict[str, Any]) -> list[str]:
    """The stacks that have a settings file, sorted."""
    files = _stack_config_dir(program_dir, project).glob("Pulumi.*.yaml")
    return sorted(file.name.removeprefix("Pulumi.").removesuffix(".yaml") for file in files)


PROJECT_CONFIG_SPEC_KEYS = {"type", "description", "items", "default", "value", "secret"}


def project_config(project: dict[str, Any], stack_config: dict[str, str]) -> dict[str, str]:
    """What Pulumi.yaml's `config:` adds to a stack's config: each declared key's `value` or
    `default` (or short-form value) that the stack does not set. A key of the project's own
    namespace declared without either must be set by the stack, as Pulumi requires.
    """
    declared = project.get("config") or {}
    if not isinstance(declared, dict):
        raise ProgramError("Pulumi.yaml: 'config' must be a mapping of config keys")
    project_name = str(project.get("name"))
    added: dict[str, str] = {}
    missing: list[str] = []
    for key, spec in declared.items():
        full_key = key if ":" in key else f"{project_name}:{key}"
        typed = isinstance(spec, dict) and set(spec) <= PROJECT_CONFIG_SPEC_KEYS
        if full_key in stack_config:
            continue
        if not typed:
            added[full_key] = _config_value(spec)[0]
        elif spec.get("default") is not None or spec.get("value") is not None:
            value = spec["default"] if spec.get("default") is not None else spec["value"]
            added[full_key] = _config_value(value)[0]
        elif full_key.startswith(f"{project_name}:"):
            missing.append(key)
    if missing:
        raise ProgramError(
            f"the stack is missing configuration {', '.join(sorted(missing))}"
            " (declared in Pulumi.yaml without a default)"
        )
    return added


def load_stack_config(config_file: Path, project_name: str) -> tuple[dict[str, str], list[str]]:
    if not config_file.is_file():
        raise ProgramError(f"stack config {config_file} does not exist")
    try:
        document = yaml.safe_load(config_file.read_text()) or {}
    except yaml.YAMLError as error:
        raise ProgramError(f"{config_file} is not valid YAML: {error}") from error
    raw = document.get("config") or {}
    if not isinstance(raw, dict):
        raise ProgramError(f"{config_file}: 'config' must be a mapping")
    config: dict[str, str] = {}
    secret_keys: list[str] = []
    for key, value in raw.items():
        full_key = key if ":" in key else f"{project_name}:{key}"
        config[full_key], is_secret = _config_value(value)
        if is_secret:
            secret_keys.append(full_key)
    return config, secret_keys


@contextlib.contextmanager
def _program_context(program_dir: Path) -> Iterator[None]:
    """cwd and sys.path as the Pulumi language host sets them; the program's modules unloaded
    after.
    """
    previous_cwd = os.getcwd()
    previous_modules = set(sys.modules)
    sys.path.insert(0, str(program_dir))
    os.chdir(program_dir)
    try:
        yield
    finally:
        os.chdir(previous_cwd)
        sys.path.remove(str(program_dir))
        for name in set(sys.modules) - previous_modules:
            module_file = getattr(sys.modules[name], "__file__", None) or ""
            kept = (
                str(Path(__file__).parent),
                sys.prefix,
            )  # the runner itself and installed packages (a .venv inside the program)
            if module_file.startswith(str(program_dir)) and not module_file.startswith(kept):
                del sys.modules[name]


def run_program(
    program_dir: Path,
    stack: str,
    config_file: Path | None = None,
    config: dict[str, Any] | None = None,
    stack_outputs: dict[str, dict[str, Any]] | None = None,
) -> ProgramRun:
    """Run `program_dir`'s Pulumi program for `stack` under mocks.

    Config comes from `config_file` (default the stack's settings file; without one the config
    is empty), or from `config`, a mapping shaped like that file's `config:` section. A
    StackReference to another stack of the same program that has a settings file gets that
    stack's outputs, computed by running it first; `stack_outputs` (stack name -> outputs)
    supplies them instead.
    """
    known_outputs = dict(stack_outputs or {})
    mocks = ProgramMocks(known_outputs)
    try:
        return _run_once(program_dir, stack, config_file, config, mocks)
    except ProgramError:
        project = load_project(program_dir)
        sibling_stacks = {
            name
            for name in mocks.referenced_stacks - set(known_outputs) - {stack}
            if stack_config_file(program_dir, project, name).is_file()
        }
        if not sibling_stacks:
            raise
    for name in sorted(sibling_stacks):
        known_outputs[name] = _json_safe(
            run_program(program_dir, name, stack_outputs=known_outputs).outputs
        )
    return _run_once(program_dir, stack, config_file, config, ProgramMocks(known_outputs))


def _json_safe(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(item) for item in value]
    return value if isinstance(value, (str, int, float, bool, type(None))) else None


def _run_once(
    program_dir: Path,
    stack: str,
    config_file: Path | None,
    config: dict[str, Any] | None,
    mocks: ProgramMocks,
) -> ProgramRun:
    program_dir = program_dir.resolve()
    project = load_project(program_dir)
    project_name = str(project.get("name"))
    if config is not None:
        values = {
            (key if ":" in key else f"{project_name}:{key}"): _config_value(value)
            for key, value in config.items()
        }
        stack_config = {key: value for key, (value, _) in values.items()}
        secret_keys = [key for key, (_, is_secret) in values.items() if is_secret]
    elif config_file is not None:
        stack_config, secret_keys = load_stack_config(config_file, project_name)
    elif stack_config_file(program_dir, project, stack).is_file():
        stack_config, secret_keys = load_stack_config(
            stack_config_file(program_dir, project, stack), project_name
        )
    else:  # Pulumi runs a stack that has no settings file with an empty config
        stack_config, secret_keys = {}, []
    stack_config = {**project_config(project, stack_config), **stack_config}
    main = program_dir / str(project.get("main") or "__main__.py")
    if main.is_dir():
        main = main / "__main__.py"
    if not main.is_file():
        raise ProgramError(f"program entry point {main} does not exist")

    run = ProgramRun(project=project_name, stack=stack, config=stack_config, entry_point=main)
    monitor = RecordingMonitor(mocks, run)
    with _program_context(program_dir), _fresh_event_loop():
        settings.ROOT.set(None)
        settings.SETTINGS.outputs.clear()
        pulumi.runtime.set_all_config(stack_config, secret_keys)
        pulumi.runtime.set_mocks(
            mocks, project=project_name, stack=stack, preview=True, monitor=monitor
        )
        try:
            _sync_await(pulumi.runtime.stack.run_pulumi_func(lambda: _run_main(main)))
        except pulumi.RunError as error:
            raise ProgramError(str(error)) from error
        except Exception as error:  # the program's own failure, reported with its type
            raise ProgramError(f"{type(error).__name__}: {error}") from error
        _sync_await(_collect_stack_outputs(settings.get_root_resource(), run))
    return run


@contextlib.contextmanager
def _fresh_event_loop() -> Iterator[None]:
    """A failed run leaves registrations pending; a loop per run keeps them out of the next.

    Its leftovers are cancelled and awaited, and the futures that failed along with the run are
    not reported again one by one (the run's error already says why): otherwise a run that is
    retried with a sibling stack's outputs floods stderr with thousands of asyncio reports.
    """
    loop = asyncio.new_event_loop()
    loop.set_exception_handler(_report_unless_unretrieved)
    asyncio.set_event_loop(loop)
    try:
        yield
    finally:
        pending = asyncio.all_tasks(loop)
        for task in pending:
            task.cancel()
        if pending:
            loop.run_until_complete(asyncio.wait(pending, timeout=LEFTOVER_TASKS_TIMEOUT_SECONDS))
        with warnings.catch_warnings():
            # The failed run's never-started coroutines are collected here, quietly,
            # not at a random later point.
            warnings.simplefilter("ignore", RuntimeWarning)
            gc.collect()
        loop.close()
        asyncio.set_event_loop(None)


def _report_unless_unretrieved(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    if "exception was never retrieved" not in context.get("message", ""):
        loop.default_exception_handler(context)


def _run_main(main: Path) -> None:
    runpy.run_path(str(main), run_name="__main__")


async def _collect_stack_outputs(stack_resource: Any, run: ProgramRun) -> None:
    for key, value in getattr(stack_resource, "outputs", {}).items():
        output = pulumi.Output.from_input(value)
        run.outputs[key] = await output.future(with_unknowns=True)
        if await output.is_secret():
            run.secret_outputs.add(key)
