"""The whole CUDA path of one trial in one command: ``python -m benchmarks.gpu_check [--cpu] [--json PATH]``.

GPU machines, the ones a development session can borrow included, may be offline, with their own torch, torchvision
and numpy and no Ray, and receive only the repository's files. So this script imports only
``trainables`` (never Ray, pandas or matplotlib), trains on synthetic images (the speed and every check but the
evaluator's are blind to the pixels), and reads real images only for the evaluator's reference: the MNIST test split
under ``--data-dir``, or its cached reference (``$XDG_CACHE_HOME/tune-gan/reference/``), which is 5 MB to carry.

It prints one table (a row per check) and writes the same as JSON. Each check is a record; the exit code is 1 when
any check failed. The checks, on the GPU (``--cpu``: on the CPU, so that CI runs the script and it cannot rot):

1. **placement**: models, Adam's state, the training images, the noise, D's inputs and the evaluator on the device;
2. **no host sync** inside a training step, under ``torch.cuda.set_sync_debug_mode("error")`` (CUDA only);
3. **bit-exact resume** through a real checkpoint (trainables.checkpoint), with deterministic algorithms, and as
   information with torch's defaults (what a trial runs with);
4. **a checkpoint moved** GPU → CPU and CPU → GPU: weights and Adam's state equal, and training goes on;
   and **images sent a batch at a time** (too large for a trial's share of the GPU) train as resident ones do;
5. **the evaluator's scores** on the device against the CPU's, from the same generator;
6. **a NaN trial** (D's weights set to NaN) ends as "diverged" with NaN scores, and the device still works;
7. **steps/s** of each model at each batch size in fp32, tf32 and bf16 (where the device has them);
8. **processes sharing the device**: the aggregate steps/s of 1, 4 and 16 trial processes and the memory each holds
   (on a GPU: the device memory it took, its CUDA context included; the trial's peak that
   ``tune_gan.resources.TRIAL_GPU_PEAK_GIB`` estimates).
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import json
import math
import multiprocessing
import os
import platform
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

import torch

from trainables.checkpoint import restore_checkpoint, write_checkpoint
from trainables.config import MODELS, TrialConfig, one_line
from trainables.data import DataUnavailableError, epoch_batches, resolve_data_dir
from trainables.loop import GANTraining
from trainables.metric_keys import CLASS_SHARES, QUALITY_METRICS
from trainables.process_memory import peak_rss_mib
from trainables.quality.evaluator import QualityEvaluator, RealReference, evaluation_noise, real_reference
from trainables.training_precision import PRECISIONS, device_lacks

PASS, FAIL, INFO, NOT_APPLICABLE = "pass", "FAIL", "info", "n/a"
BATCH_SIZES = (128, 256, 512, 1024)
# Per device: timed steps per speed cell and per sharing process, and how many trial processes share it at once.
STEPS = {"cuda": 100, "cpu": 10}
PROCESSES = {"cuda": (1, 4, 16), "cpu": (1, os.cpu_count() or 1)}
SCORE_TOLERANCE = 0.01  # the evaluator's device and CPU scores agree within 1 % (of the value, or of 1 for a share)
GIB = 2**30


@dataclasses.dataclass(frozen=True)
class Check:
    """One row of the table: what was checked, its outcome (:data:`PASS`, :data:`FAIL`, :data:`INFO`,
    :data:`NOT_APPLICABLE`), what was seen, and how long it took."""

    name: str
    outcome: str
    detail: str
    seconds: float


@dataclasses.dataclass(frozen=True)
class StepSpeed:
    """Training steps (one D and one G update) per second of one model at one batch size, by precision; None where
    the device lacks the precision."""

    model: str
    batch_size: int
    steps_per_s: dict[str, float | None]


@dataclasses.dataclass(frozen=True)
class Sharing:
    """``processes`` trial processes training at once on the device: their steps/s together, and the memory each
    held once it had trained an epoch and scored its samples, as a trial does (``memory``: what was read)."""

    processes: int
    steps_per_s: float
    memory_gib_each: float
    memory: str  # "GPU memory" (the device memory the processes took, CUDA contexts included) or "peak RSS"


@dataclasses.dataclass(frozen=True)
class GpuCheck:
    """Everything one run measured, as the JSON holds it."""

    device: str
    torch_version: str
    python_version: str
    date: str
    seconds: float
    checks: list[Check]
    speeds: list[StepSpeed]
    sharing: list[Sharing]

    @property
    def failed(self) -> list[str]:
        return [check.name for check in self.checks if check.outcome == FAIL]

    def as_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, saved: dict[str, Any]) -> "GpuCheck":
        """The records of a JSON :meth:`as_json` wrote (a recorded run, to print its table again)."""
        return cls(
            **{name: saved[name] for name in ("device", "torch_version", "python_version", "date", "seconds")},
            checks=[Check(**row) for row in saved["checks"]],
            speeds=[StepSpeed(**row) for row in saved["speeds"]],
            sharing=[Sharing(**row) for row in saved["sharing"]],
        )


def trial_config(model: str = "mlp", batch_size: int = 128, steps: int = 4, epochs: int = 3, **settings) -> TrialConfig:
    """A trial of ``epochs`` epochs of ``steps`` steps each, not scored (the checks score it themselves)."""
    return TrialConfig(
        model=model, batch_size=batch_size, epochs=epochs, subset=batch_size * steps, eval_every=0, **settings
    )


def synthetic_images(count: int) -> torch.Tensor:
    """``count`` seeded uint8 (N, 1, 28, 28) images: the loop's work is the same whatever their pixels."""
    return torch.randint(0, 256, (count, 1, 28, 28), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))


def training_on(config: TrialConfig, device: torch.device, memory_for_images: int | None = None) -> GANTraining:
    return GANTraining(config, synthetic_images(config.subset), device, memory_for_images)


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def check(name: str) -> Callable[[Callable[..., tuple[str, str]]], Callable[..., Check]]:
    """Make a function returning (outcome, detail) the check ``name``, whose row carries its run time; an exception
    it raises is its FAIL row, not the end of the run."""

    def decorate(function: Callable[..., tuple[str, str]]) -> Callable[..., Check]:
        def run(*args, **kwargs) -> Check:
            started = time.perf_counter()
            try:
                outcome, detail = function(*args, **kwargs)
            except Exception as error:  # noqa: BLE001 (a check's failure is its row; the others still run)
                outcome, detail = FAIL, f"{type(error).__name__}: {one_line(error)[:300]}"
            return Check(name, outcome, detail, time.perf_counter() - started)

        return run

    return decorate


@check("placement")
def check_placement(device: torch.device, reference: RealReference | None) -> tuple[str, str]:
    """Every tensor a step and an evaluation touch lives on ``device``: nothing is computed on the CPU by mistake."""
    training = training_on(trial_config(steps=1, epochs=1), device)
    inputs: dict[str, list[torch.Tensor]] = {"noise z": [], "D's inputs": [], "classifier's inputs": []}

    def record(name: str) -> Callable:
        return lambda module, args: inputs[name].append(args[0])

    hooks = [
        training.generator.register_forward_pre_hook(record("noise z")),
        training.discriminator_logits.register_forward_pre_hook(record("D's inputs")),
    ]
    training.train_step(next(epoch_batches(training.images, training.config.batch_size, training.batch_order)))
    groups: dict[str, list[torch.Tensor]] = {
        "G's weights": list(training.generator.parameters()),
        "D's weights": list(training.discriminator.parameters()),
        "Adam's state": optimizer_state(training),
        "training images": [training.images],
        "fixed noise": [training.fixed_noise],
        "noise z": inputs["noise z"],
        "D's inputs": inputs["D's inputs"],
    }
    if reference is not None:
        evaluator = QualityEvaluator(reference, device)
        # the classifier's first layer: its features and logits are taken by slicing it, not by its own forward
        hooks.append(evaluator.features.net[0].register_forward_pre_hook(record("classifier's inputs")))
        evaluator.evaluate(training.generator, evaluation_noise(training.config, 500))
        groups["classifier"] = list(evaluator.features.net.parameters())
        groups["real reference"] = [evaluator.real.features, evaluator.real.radii, evaluator.real.stats.cov]
        groups["classifier's inputs"] = inputs["classifier's inputs"]
    for hook in hooks:
        hook.remove()
    found = {name: {tensor.device.type for tensor in tensors} for name, tensors in groups.items()}
    astray = {name: types for name, types in found.items() if types != {device.type}}
    if astray:
        where = "; ".join(f"{name} on {', '.join(sorted(types)) or 'nothing'}" for name, types in astray.items())
        return FAIL, f"not on {device.type}: {where}"
    unchecked = "" if reference is not None else " (no real reference: the evaluator was not checked)"
    return PASS, f"{', '.join(found)}: on {device.type}{unchecked}"


@check("no host sync in a step")
def check_no_host_sync(device: torch.device, precisions: list[str]) -> tuple[str, str]:
    """A step never waits for the GPU (a ``.item()``, a ``nonzero``, a copy to the host): the CPU queues the next
    step's kernels while the GPU runs this one's. torch raises on the first synchronising call in "error" mode."""
    if device.type != "cuda":
        return NOT_APPLICABLE, "CUDA only: a CPU step has no device to wait for"
    for model in MODELS:
        for precision in precisions:
            training = training_on(trial_config(model, steps=8, epochs=1, training_precision=precision), device)
            batches = list(epoch_batches(training.images, training.config.batch_size, training.batch_order))
            training.train_step(batches[0])  # the first step's lazy set-up (cuBLAS, autocast's caches) is not a step
            synchronize(device)
            torch.cuda.set_sync_debug_mode("error")
            try:
                for real in batches[1:]:
                    training.train_step(real)
            except RuntimeError as error:
                return FAIL, f"{model} {precision}: {one_line(error)[:300]}"
            finally:
                torch.cuda.set_sync_debug_mode(0)
    return PASS, f"7 steps each of {', '.join(MODELS)} in {', '.join(precisions)} under set_sync_debug_mode('error')"


@contextmanager
def deterministic_algorithms(enabled: bool) -> Iterator[None]:
    before = torch.are_deterministic_algorithms_enabled()
    torch.use_deterministic_algorithms(enabled)
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(before)


def weight_difference(first: GANTraining, second: GANTraining) -> float:
    """The largest absolute difference between two trainings' weights and BatchNorm statistics (0.0: bit-exact)."""
    pairs = [
        (mine, theirs)
        for a, b in ((first.generator, second.generator), (first.discriminator, second.discriminator))
        for mine, theirs in zip(a.state_dict().values(), b.state_dict().values())
        if mine.is_floating_point()
    ]
    return max(float((mine.cpu().double() - theirs.cpu().double()).abs().max()) for mine, theirs in pairs)


def optimizer_state(training: GANTraining) -> list[torch.Tensor]:
    """Adam's state tensors (step counts, moments) of both networks, where they are."""
    optimizers = (training.opt_g, training.opt_d)
    return [tensor for opt in optimizers for state in opt.state.values() for tensor in state.values()]


def through_checkpoint(written: GANTraining, device: torch.device) -> GANTraining:
    """A new training of the same config on ``device``, restored from a real checkpoint of ``written``."""
    with tempfile.TemporaryDirectory(prefix="gpu_check_") as folder:
        checkpoint, samples = Path(folder, "checkpoint"), Path(folder, "samples")
        checkpoint.mkdir()
        samples.mkdir()
        write_checkpoint(checkpoint, written, samples)
        restored = training_on(written.config, device)
        restore_checkpoint(checkpoint, restored, samples)
    return restored


def resumed_difference(config: TrialConfig, device: torch.device) -> float:
    """Train ``config`` straight through, and again stopped after its first epoch and resumed from its checkpoint:
    the largest difference between the two runs' final weights (infinite where their losses already differed)."""
    straight = training_on(config, device)
    losses = [metrics.d_loss for metrics in straight.epochs()]
    first = training_on(config, device)
    losses_resumed = [first.train_epoch().d_loss]
    resumed = through_checkpoint(first, device)
    losses_resumed += [metrics.d_loss for metrics in resumed.epochs()]
    return weight_difference(straight, resumed) if losses_resumed == losses else math.inf


def resume_outcome(device: torch.device, deterministic: bool) -> tuple[str, str]:
    """A trial stopped and resumed from its checkpoint ends exactly where the uninterrupted one does."""
    with deterministic_algorithms(deterministic):
        differences = {model: resumed_difference(trial_config(model, steps=4, epochs=3), device) for model in MODELS}
    how = "3 epochs straight against 1 + a checkpoint + 2: "
    if all(difference == 0.0 for difference in differences.values()):
        return PASS, how + f"{' and '.join(MODELS)} end with the same weights, bit for bit"
    detail = how + "; ".join(f"{model} max |Δweight| {difference:.3g}" for model, difference in differences.items())
    # torch's default algorithms may differ on a GPU (atomics in a backward pass): information for the docs, where
    # the deterministic run must be exact.
    return (FAIL if deterministic else INFO), detail


@check("bit-exact resume, deterministic algorithms")
def check_resume_deterministic(device: torch.device) -> tuple[str, str]:
    return resume_outcome(device, deterministic=True)


@check("bit-exact resume, torch's default algorithms (as a trial runs)")
def check_resume_default(device: torch.device) -> tuple[str, str]:
    return resume_outcome(device, deterministic=False)


@check("checkpoint between devices")
def check_checkpoint_moves(device: torch.device) -> tuple[str, str]:
    """A checkpoint written on one device loads on the other with the same weights and Adam state, and trains on.
    The state file is read on the CPU (``map_location``) and loaded into the model on its own device."""
    cpu = torch.device("cpu")
    directions = [(device, cpu), (cpu, device)] if device != cpu else [(cpu, cpu)]
    for source, target in directions:
        written = training_on(trial_config(steps=4, epochs=2), source)
        written.train_epoch()
        restored = through_checkpoint(written, target)
        moved = f"{source.type} → {target.type}"
        if weight_difference(written, restored) != 0.0:
            return FAIL, f"{moved}: the restored weights differ"
        before, after = optimizer_state(written), optimizer_state(restored)
        if len(before) != len(after) or not all(torch.equal(a.cpu(), b.cpu()) for a, b in zip(before, after)):
            return FAIL, f"{moved}: the restored Adam state differs"
        if not math.isfinite(restored.train_epoch().d_loss):
            return FAIL, f"{moved}: the epoch trained after the restore has a non-finite loss"
    moves = " and ".join(f"{source.type} → {target.type}" for source, target in directions)
    return PASS, f"{moves}: weights and Adam state equal, and an epoch trains after the restore"


@check("images too large for the GPU, sent a batch at a time")
def check_images_sent_by_batch(device: torch.device) -> tuple[str, str]:
    """Images kept in host memory (trainables.data.images_on: a trial's share of the GPU cannot hold them) train
    exactly as the same images kept on the device do, with deterministic algorithms: the same rows, scaled the same."""
    config = trial_config(steps=4, epochs=2)
    with deterministic_algorithms(True):
        trained = []
        for memory_for_images in (None, 0):  # each trained before the next is made: they share torch's global RNG
            trained.append(training_on(config, device, memory_for_images))
            list(trained[-1].epochs())
    resident, sent = trained
    where = f"images kept on {sent.images.device.type}, resident on {resident.images.device.type}"
    if sent.images.device.type != "cpu" or resident.images.device != device:
        return FAIL, where
    difference = weight_difference(resident, sent)
    if difference != 0.0:
        return FAIL, f"{where}: max |Δweight| {difference:.3g} after 2 epochs"
    return PASS, f"{where}: 2 epochs end with the same weights, bit for bit"


def scores_on(device: torch.device, reference: RealReference, generator: torch.nn.Module, noise: torch.Tensor):
    return QualityEvaluator(reference, device).evaluate(copy.deepcopy(generator).to(device), noise)


@check("evaluator on the device against the CPU")
def check_evaluator(device: torch.device, reference: RealReference | None, samples: int) -> tuple[str, str]:
    """The quality metrics of one generator's samples scored on the device and on the CPU agree."""
    if reference is None:
        return NOT_APPLICABLE, "no real reference: give --data-dir (MNIST/raw/) or carry the cached reference"
    training = training_on(trial_config(steps=8, epochs=1), device)
    training.train_epoch()
    noise = evaluation_noise(training.config, samples)
    on_device = scores_on(device, reference, training.generator, noise)
    on_cpu = scores_on(torch.device("cpu"), reference, training.generator, noise)
    keys = [*QUALITY_METRICS, *CLASS_SHARES]
    relative = {key: abs(on_device[key] - on_cpu[key]) / max(1.0, abs(on_cpu[key])) for key in keys}
    worst = max(relative, key=relative.get)
    detail = (
        f"{samples:,} samples: FID {on_device['fid']:.6g} against {on_cpu['fid']:.6g}, IS {on_device['is_score']:.6g} "
        f"against {on_cpu['is_score']:.6g}; the largest difference {100 * relative[worst]:.3g} % ({worst})"
    )
    return (PASS if relative[worst] <= SCORE_TOLERANCE else FAIL), detail


@check("a NaN trial ends as diverged")
def check_nan_trial(device: torch.device, reference: RealReference | None) -> tuple[str, str]:
    """A trial whose numbers turn NaN stops as "diverged" on any device (its losses come from logits, so no BCE
    kernel asserts on a NaN), its generator scores NaN, and the device goes on working."""
    seen = []
    for model in MODELS:
        training = training_on(trial_config(model, steps=4, epochs=3), device)
        training.train_epoch()
        with torch.no_grad():
            next(training.discriminator.parameters()).fill_(math.nan)
        epochs = list(training.epochs())
        if not (training.diverged or "").startswith("non-finite") or len(epochs) != 1:
            return FAIL, f"{model}: diverged {training.diverged!r} after {len(epochs)} more epoch(s)"
        if reference is not None:
            fid = QualityEvaluator(reference, device).evaluate(training.generator, evaluation_noise(training.config))
            if not math.isnan(fid["fid"]):
                return FAIL, f"{model}: its NaN generator scored FID {fid['fid']}"
        seen.append(f"{model}: {training.diverged}")
    scored = ", scored NaN" if reference is not None else ""
    if torch.ones(4, device=device).sum().item() != 4.0:
        return FAIL, f"{'; '.join(seen)}{scored}; but the {device.type} then computed 1 × 4 wrong"
    return PASS, f"{'; '.join(seen)}{scored}; the {device.type} computes on"


def steps_per_s(config: TrialConfig, device: torch.device) -> float:
    """Steps/s of ``config``'s second epoch (the first warms up cuBLAS, autocast and the allocator's cache), timed up
    to the epoch's statistics on the host, so the device has finished."""
    training = training_on(dataclasses.replace(config, epochs=2), device)
    training.train_epoch()
    return training.train_epoch().images_per_s / config.batch_size


def measure_speeds(device: torch.device, batch_sizes: list[int], steps: int) -> list[StepSpeed]:
    speeds = []
    for model in MODELS:
        for batch_size in batch_sizes:
            by_precision: dict[str, float | None] = {}
            for precision in PRECISIONS:
                config = trial_config(model, batch_size, steps, training_precision=precision)
                by_precision[precision] = None if device_lacks(precision, device) else steps_per_s(config, device)
            speeds.append(StepSpeed(model, batch_size, by_precision))
    return speeds


def share_worker(
    device_name: str, steps: int, reference: RealReference | None, samples: int, ready: Any, go: Any, out: Any
) -> None:
    """One trial process of :func:`measure_sharing`: train an epoch and score ``samples`` samples as a trial does (so
    its memory is a trial's), report ready, wait for the start, then time one epoch on one CPU thread, as a trial
    has."""
    try:
        torch.set_num_threads(1)
        device = torch.device(device_name)
        training = training_on(trial_config(steps=steps, epochs=2), device)
        training.train_epoch()
        if reference is not None:
            noise = evaluation_noise(training.config, samples)
            QualityEvaluator(reference, device).evaluate(training.generator, noise)
        synchronize(device)
        ready.wait()
        go.wait()
        started = time.monotonic()  # CLOCK_MONOTONIC: one clock for every process of the machine
        training.train_epoch()
        out.put((started, time.monotonic(), peak_rss_mib() / 1024))
    except Exception as error:  # noqa: BLE001 (the parent reports it; a worker prints no table)
        ready.abort()
        out.put(f"{type(error).__name__}: {one_line(error)[:300]}")


def measure_sharing(
    device: torch.device,
    processes: int,
    steps: int,
    reference: RealReference | None,
    samples: int,
    timeout: float = 300,
) -> Sharing:
    """``processes`` trial processes train at once: their aggregate steps/s (every step over the span from the first
    start to the last end) and the memory each holds once warm: on a GPU the device memory they took between before
    they started and once all were warm (read while this process holds its own still), on the CPU peak RSS."""
    spawn = multiprocessing.get_context("spawn")  # a forked child cannot use CUDA
    ready, go, out = spawn.Barrier(processes + 1, timeout=timeout), spawn.Barrier(processes + 1), spawn.Queue()
    free_before = torch.cuda.mem_get_info(device)[0] if device.type == "cuda" else 0
    arguments = (str(device), steps, reference, samples, ready, go, out)
    workers = [spawn.Process(target=share_worker, args=arguments) for _ in range(processes)]
    for worker in workers:
        worker.start()
    try:
        ready.wait()
        free_warm = torch.cuda.mem_get_info(device)[0] if device.type == "cuda" else 0
        go.wait(timeout)
        finished = [out.get(timeout=timeout) for _ in workers]
    except threading.BrokenBarrierError:
        finished = [out.get(timeout=timeout)]  # the failed worker's message
    finally:
        for worker in workers:
            worker.join(timeout)
    errors = [result for result in finished if isinstance(result, str)]
    if errors:
        raise RuntimeError(f"a process of {processes} failed: {errors[0]}")
    starts, ends, rss_gib = zip(*finished)
    if device.type == "cuda":
        return Sharing(
            processes,
            processes * steps / (max(ends) - min(starts)),
            (free_before - free_warm) / GIB / processes,
            "GPU memory",
        )
    return Sharing(processes, processes * steps / (max(ends) - min(starts)), max(rss_gib), "peak RSS")


def load_reference(data_dir: str | None) -> RealReference | None:
    """MNIST's real reference (cached, else computed from the test split), or None when neither is here."""
    try:
        return real_reference("mnist", resolve_data_dir(data_dir))
    except DataUnavailableError:
        return None


def device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return f"{torch.cuda.get_device_name(device)} · CUDA {torch.version.cuda}"
    return f"CPU ({platform.machine()}, {os.cpu_count()} logical cores, {torch.get_num_threads()} torch thread(s))"


def run(device: torch.device, args: argparse.Namespace) -> GpuCheck:
    started = time.perf_counter()
    reference = load_reference(args.data_dir)
    precisions = [precision for precision in PRECISIONS if not device_lacks(precision, device)]
    checks = [
        check_placement(device, reference),
        check_no_host_sync(device, precisions),
        check_resume_deterministic(device),
        check_resume_default(device),
        check_checkpoint_moves(device),
        check_images_sent_by_batch(device),
        check_evaluator(device, reference, args.eval_samples),
        check_nan_trial(device, reference),
    ]
    steps = args.steps or STEPS[device.type]
    speeds = measure_speeds(device, args.batch_sizes, steps)
    processes = args.processes or PROCESSES[device.type]
    sharing = [measure_sharing(device, count, steps, reference, args.eval_samples) for count in processes]
    return GpuCheck(
        device_name(device),
        torch.__version__,
        platform.python_version(),
        time.strftime("%Y-%m-%d"),
        time.perf_counter() - started,
        checks,
        speeds,
        sharing,
    )


def steps(value: float) -> str:
    """A rate in steps/s: whole numbers from 100 up (``1,020``), three significant digits below (``5.27``)."""
    return f"{value:,.0f}" if value >= 100 else f"{value:.3g}"


def speed_cell(speed: StepSpeed) -> str:
    """``fp32 812 · tf32 1,020 (1.26×) · bf16 —``: each precision's steps/s, and its ratio to fp32's."""
    fp32 = speed.steps_per_s["fp32"]
    cells = []
    for precision, value in speed.steps_per_s.items():
        ratio = f" ({value / fp32:.2f}×)" if value is not None and precision != "fp32" else ""
        cells.append(f"{precision} {'—' if value is None else steps(value)}{ratio}")
    return " · ".join(cells)


def render(result: GpuCheck) -> str:
    """The run as one Markdown table: the checks, then the speeds and the sharing as measured rows."""
    rows = [(check.name, check.outcome, check.detail, f"{check.seconds:.1f}") for check in result.checks]
    rows += [(f"steps/s · {s.model} · batch {s.batch_size}", "measured", speed_cell(s), "") for s in result.speeds]
    rows += [
        (
            f"steps/s · {s.processes} trial process(es) at once",
            "measured",
            f"{steps(s.steps_per_s)} in all, {steps(s.steps_per_s / s.processes)} each; "
            f"{s.memory_gib_each:.2f} GiB of {s.memory} each",
            "",
        )
        for s in result.sharing
    ]
    verdict = f"FAILED: {', '.join(result.failed)}" if result.failed else "No check failed."
    return "\n".join(
        [
            f"{result.device} · torch {result.torch_version} · {result.date} · {result.seconds:.0f} s",
            "",
            "| check | result | detail | s |",
            "| --- | --- | --- | ---: |",
            *(f"| {' | '.join(row)} |" for row in rows),
            "",
            verdict,
        ]
    )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Check tune-gan's CUDA path on this machine's GPU (see the module).")
    parser.add_argument("--cpu", action="store_true", help="run every check on the CPU (what CI runs)")
    parser.add_argument("--show", type=Path, metavar="JSON", help="print the table of a recorded run, and run nothing")
    parser.add_argument("--json", type=Path, default=Path("gpu_check.json"), help="where to write the results")
    parser.add_argument("--data-dir", help="the directory holding MNIST/raw/ (default: $TUNE_GAN_DATA, else the cache)")
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=list(BATCH_SIZES), help="steps/s at these")
    parser.add_argument("--steps", type=int, help=f"timed steps per speed cell and per sharing process {STEPS}")
    parser.add_argument("--processes", type=int, nargs="+", help=f"trial processes at once {PROCESSES}")
    parser.add_argument(
        "--eval-samples",
        type=int,
        default=10_000,
        help="samples scored by the evaluator check and by each sharing process",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.show:
        print(render(GpuCheck.from_json(json.loads(args.show.read_text()))))
        return 0
    device = torch.device("cpu" if args.cpu else "cuda")
    if device.type == "cuda" and not torch.cuda.is_available():
        raise SystemExit("gpu_check: torch sees no CUDA device here: run it on a GPU machine, or with --cpu")
    # Read by cuBLAS when it starts (and inherited by the sharing processes): deterministic GEMMs for the resume check.
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    result = run(device, args)
    print(render(result))
    args.json.write_text(json.dumps(result.as_json(), indent=2) + "\n")
    print(f"wrote {args.json}")
    return 1 if result.failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
