"""The arithmetic a trial trains in, its ``training_precision``: fp32 (the default, so every earlier number
stands), bf16 or tf32. (Not ``precision``, which is the quality metric of that name.)

- **bf16**: autocast runs the matrix multiplies (and convolutions) in bfloat16; the weights, their
  gradients and Adam's state stay fp32. On a CPU with AVX512-BF16 or AMX a GEMM runs about twice as fast
  (docs/speed.md); on one without, bf16 is emulated and slower, so it is refused there.
- **tf32**: CUDA's TF32 matrix multiplies (fp32 range, 10-bit mantissa), a CUDA-only format.

Only training runs in the chosen arithmetic: quality is always scored in fp32, in
``precision_context("fp32", device)``, so a precision study compares the training alone.
"""

from __future__ import annotations

import contextlib
from typing import Iterator

import torch

PRECISIONS = ("fp32", "bf16", "tf32")


class PrecisionError(ValueError):
    """The device lacks a precision; the message is one line for the user."""


def needs_cuda(precision: str, where: str) -> str | None:
    """Why ``precision`` cannot run ``where`` (a place without CUDA, in words), or None when it needs no CUDA.
    The trial asks it of its device; the sweep asks it before the trials start, when they get no GPU."""
    if precision == "tf32":
        return f"training_precision tf32: TF32 is CUDA's, and {where}: use fp32 or bf16"
    return None


def device_lacks(precision: str, device: torch.device) -> str | None:
    """Why ``device`` cannot train in ``precision`` (one line), or None when it can."""
    without_cuda = needs_cuda(precision, f"this trial runs on {device.type}")
    if without_cuda and device.type != "cuda":
        return without_cuda
    if precision == "bf16" and device.type == "cuda" and not torch.cuda.is_bf16_supported(including_emulation=False):
        return f"training_precision bf16: {torch.cuda.get_device_name(device)} has no bf16 arithmetic: use fp32 or tf32"
    if precision == "bf16" and device.type == "cpu" and not cpu_has_bf16():
        return "training_precision bf16: this CPU has neither AVX512-BF16 nor AMX (bf16 would be emulated): use fp32"
    return None


def cpu_has_bf16() -> bool:
    """Whether the CPU multiplies bf16 in hardware (AVX512-BF16 or AMX tiles), as oneDNN's bf16 GEMMs need."""
    return torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported()


def check_precision(precision: str, device: torch.device) -> None:
    """Refuse, in one line, a precision that ``device`` lacks."""
    why = device_lacks(precision, device)
    if why:
        raise PrecisionError(why)


@contextlib.contextmanager
def precision_context(precision: str, device: torch.device) -> Iterator[None]:
    """Run the enclosed code in ``precision``, restoring the process's matmul settings after it.

    fp32 is strict fp32 on CUDA too: torch lets cuDNN's convolutions use TF32 by default, which fp32 turns off."""
    tf32 = precision == "tf32"
    matmul, cudnn = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = tf32
    try:
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=precision == "bf16"):
            yield
    finally:
        torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = matmul, cudnn
