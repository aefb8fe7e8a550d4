"""Where a sweep's trials run on the Ray cluster joined: how many at once, and each one's GPU request.

Ray places a fractional GPU request on one GPU, never across two, and resolves it in units of 1/10,000 of a
GPU. So the arithmetic here is per GPU and in those integer units: k trials share a GPU when each asks for
floor(10,000 / k) units, and a request of r units fits 10,000 // r trials on a GPU. (Dividing all GPUs by all
trials, as a pooled share, asks 8 GPUs x 36 trials for 0.2222 each, of which Ray fits 4 a GPU: 32 at once.)

Trials per GPU are bounded by the CPUs (each trial takes ``cpus_per_trial``), by ``--max-concurrent``, and by GPU
memory: each trial process holds its own CUDA context and tensors, ``TRIAL_GPU_PEAK_GIB`` at most.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from tune_gan.search_space import Resources

RAY_UNITS = 10_000  # Ray resolves a fractional resource to 1/10,000
# A trial's peak GPU memory, CUDA context included: an estimate for the MLP until benchmarks/gpu_check.py measures it
# on a GPU (its "1 trial process(es) at once" row: the GPU memory a trial process took, an evaluation included).
TRIAL_GPU_PEAK_GIB = 1.0
GPU_MEMORY_MARGIN = 0.9  # the share of a GPU's memory the trials may fill, leaving room for fragmentation


class PlacementError(ValueError):
    """The cluster cannot hold the resources asked for; the message is one line for the user."""


@dataclass(frozen=True)
class Placement:
    """How a sweep's trials sit on the cluster: the words for it are the console's (``settings_lines``)."""

    at_once: int  # trials running at the same time
    gpus_per_trial: float  # each trial's request to Ray
    trials_per_gpu: int  # trials sharing each GPU; 0 without GPUs or with whole GPUs per trial
    gpus: int  # GPUs in the cluster
    bound: str  # what limits at_once: "trials", "cpus", "max_concurrent", "requested" or "gpu_memory"
    gpu_memory_gib: float | None = None  # a GPU's memory where the driver can see one


def gpu_share(trials_per_gpu: int) -> float:
    """The request that fits ``trials_per_gpu`` trials on one GPU: floor(10,000 / k) of Ray's units, so k of
    them add up to at most one GPU (1/3 -> 0.3333)."""
    return (RAY_UNITS // trials_per_gpu) / RAY_UNITS


def trials_fitting_a_gpu(gpus_per_trial: float) -> int:
    """How many requests of ``gpus_per_trial`` (at most 1) Ray fits on one GPU, counted in its integer units."""
    return RAY_UNITS // round(gpus_per_trial * RAY_UNITS)


def memory_bound(gpu_memory_gib: float | None) -> int | None:
    """Trials whose peaks fit in a GPU's memory with the margin, or None where the memory is unknown."""
    if gpu_memory_gib is None:
        return None
    return max(1, math.floor(gpu_memory_gib * GPU_MEMORY_MARGIN / TRIAL_GPU_PEAK_GIB))


def local_gpu_memory_gib() -> float | None:
    """The smallest memory of the GPUs this process sees, in GiB; None without CUDA. A cluster joined with
    --address may hold other GPUs: this is the driver's view, which the settings line names."""
    if not torch.cuda.is_available():
        return None
    return min(torch.cuda.get_device_properties(i).total_memory for i in range(torch.cuda.device_count())) / 2**30


def requested_gpus(resources: Resources) -> float | None:
    """--gpus-per-trial, or --trials-per-gpu (its other spelling) as the request that fits that many; None: auto."""
    if resources.trials_per_gpu:
        return gpu_share(resources.trials_per_gpu)
    return resources.gpus_per_trial


def place(
    resources: Resources, num_trials: int, cluster: dict[str, float], gpu_memory_gib: float | None = None
) -> Placement:
    """The placement of ``num_trials`` trials asking ``resources`` on ``cluster`` (``ray.cluster_resources()``).

    Auto (no GPU request) spreads the trials that run at once evenly over the GPUs, as many on each as the
    GPU's memory holds; an explicit request is kept, and the trials at once are what it fits."""
    cpus, gpus = cluster.get("CPU", 0.0), int(cluster.get("GPU", 0.0))
    if resources.cpus_per_trial > cpus:
        raise PlacementError(f"--cpus-per-trial {resources.cpus_per_trial}: the Ray cluster has only {cpus:g} CPUs")
    limits = {"trials": num_trials, "cpus": int(cpus // resources.cpus_per_trial)}
    if resources.max_concurrent:
        limits["max_concurrent"] = resources.max_concurrent
    requested, per_gpu = requested_gpus(resources), 0
    if requested is not None and requested > gpus:
        given = resources.trials_per_gpu or f"{requested:g}"
        raise PlacementError(f"--{gpu_flag(resources)} {given}: the Ray cluster has {gpus} GPUs")
    if gpus == 0 or requested == 0:
        requested = 0.0
    elif requested is not None and requested > 1:  # whole GPUs per trial
        limits["requested"] = math.floor(gpus / requested)
    elif requested is not None:
        per_gpu = trials_fitting_a_gpu(requested)
        limits["requested"] = gpus * per_gpu
    else:
        per_gpu, held = math.ceil(min(limits.values()) / gpus), memory_bound(gpu_memory_gib)
        if held is not None and held < per_gpu:
            per_gpu = held
            limits["gpu_memory"] = gpus * held
        requested = gpu_share(per_gpu)
    bound = min(limits, key=limits.get)
    return Placement(limits[bound], requested, per_gpu, gpus, bound, gpu_memory_gib)


def gpu_flag(resources: Resources) -> str:
    """The flag the user set the GPU request with."""
    return "trials-per-gpu" if resources.trials_per_gpu else "gpus-per-trial"
