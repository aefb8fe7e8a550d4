"""Every bad input ends in one line on stderr naming the value, exit code 2, and nothing overwritten."""

from __future__ import annotations

import os
import shutil

import pytest
import torch

from tests.helpers import flip_a_bit, run_script
from tests.image_folders import shapes_folder
from tests.test_data import damaged_copy
from trainables.checkpoint import CHECKPOINT_FORMAT, DIGEST_FILE, STATE_FILE, write_state
from tune_gan import sweep


def run_cli(argv: list[str], capsys) -> tuple[int, str]:
    try:
        code = sweep.main(argv)
    except SystemExit as exit_:  # argparse's own errors
        code = exit_.code
    return code, capsys.readouterr().err


@pytest.fixture
def storage(tmp_path):
    path = tmp_path / "results"
    (path / "earlier").mkdir(parents=True)
    (path / "earlier" / "keep.txt").write_text("an earlier experiment")
    return path


def assert_one_line_error(code: int, stderr: str, *fragments: str) -> None:
    assert code == 2
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("sweep.py: error: ")
    for fragment in fragments:
        assert fragment in lines[0]


BAD_INPUTS = [
    (["--batch-sizes", "0"], ["--batch-sizes", "'0' is not an integer >= 1"]),
    (["--batch-sizes", "128", "abc"], ["--batch-sizes", "'abc' is not an integer >= 1"]),
    (["--batch-sizes", "-64"], ["'-64' is not an integer >= 1"]),
    (["--schedules", "cosine"], ["'cosine'", "constant", "step", "warmup_cosine"]),
    (["--lr-scalings", "bogus"], ["--lr-scalings", "'bogus'", "none", "sqrt", "linear"]),
    (["--lr-scalings", "none", "none"], ["lr_scaling=['none', 'none']", "distinct"]),
    (["--lr-scalings", "linear", "--batch-sizes", "1024", "--lr-g", "0.2"], ["lr_g=0.2", "the scaled LR 1.6"]),
    (["--model", "resnet"], ["'resnet'", "mlp", "dcgan"]),
    (["--dataset", "cifar100"], ["'cifar100'", "mnist", "fashion_mnist", "cifar10", "folder:PATH"]),
    (["--preset", "huge"], ["'huge'", "smoke", "assignment", "dcgan"]),
    (["--epochs", "0"], ["--epochs", "'0' is not an integer >= 1"]),
    (["--seeds", "0", "0"], ["seed=[0, 0]", "distinct"]),
    (["--sweep", "latent_dim=64,abc"], ["--sweep", "'abc' is not an integer >= 1"]),
    (["--sweep", "lr_d=1e-4,2"], ["lr_d=2.0", "(0, 1)"]),
    (["--sweep", "latent_dim=128,256", "--latent-dim", "64"], ["--sweep latent_dim and --latent-dim"]),
    (["--sweep", "model+spectral_norm=mlp,dcgan+true"], ["--sweep", "'mlp': 1 part(s) for the 2 settings"]),
    (["--sweep", "model+spectralnorm=mlp+false"], ["--sweep", "'spectralnorm' is not a trial setting; allowed are"]),
    (
        ["--sweep", "model+spectral_norm=mlp+false,dcgan+true", "--spectral-norm"],
        ["--sweep model+spectral_norm and --spectral-norm: give the setting one way"],
    ),
    (
        ["--sweep", "model+spectral_norm=mlp+false,dcgan+true", "--sweep", "spectral_norm=false,true"],
        ["--sweep spectral_norm: given twice"],
    ),
    (["--sweep", "model+spectral_norm=mlp+true,dcgan+false"], ["spectral_norm=True", "with model='dcgan', not 'mlp'"]),
    (["--step-gamma", "0"], ["step_gamma=0.0", "(0, 1]"]),
    (["--divergence-patience", "-1"], ["--divergence-patience", "'-1' is not an integer >= 0"]),
    (["--lr-g", "5"], ["lr_g=5.0", "(0, 1)"]),
    (["--schedules", "warmup_cosine", "--epochs", "5", "--warmup-epochs", "5"], ["warmup_epochs=5", "epochs - 2"]),
    (["--subset", "100", "--batch-sizes", "128"], ["subset=100", "batch_size=128"]),
    (["--subset", "100000", "--batch-sizes", "128"], ["--subset 100000", "60000"]),
    (["--gpus-per-trial", "lots"], ["'lots'", "'auto' or a number >= 0"]),
    (["--name", "a/b"], ["--name 'a/b'", "plain directory name"]),
    (["--resume", "--name", "missing"], ["--resume", "missing", "tune_gan_sweep.json"]),
    (["--resume", "--name", "earlier"], ["--resume", "earlier"]),
    (["--resume", "--name", "earlier", "--epochs", "3"], ["--epochs", "not allowed with --resume"]),
    (["--resume", "--name", "earlier", "--lr-scalings", "sqrt"], ["--lr-scalings", "not allowed with --resume"]),
    (["--resume", "--name", "earlier", "--sweep", "latent_dim=1,2"], ["--sweep", "not allowed with --resume"]),
    (["--name", "earlier"], ["--name earlier", "already exists", "--resume"]),
    (["--eval-samples", "10"], ["--eval-samples", "'10' is not an integer >= 100"]),
    (["--eval-every", "-1"], ["--eval-every", "'-1' is not an integer >= 0"]),
    (
        ["--rank-by", "loss"],
        [
            "--rank-by",
            "'loss'",
            "'fid', 'is_score', 'coverage', 'density', 'precision', 'recall', 'class_kl', 'classes_covered'",
        ],
    ),
]


@pytest.mark.parametrize("argv, fragments", BAD_INPUTS, ids=[" ".join(argv) for argv, _ in BAD_INPUTS])
def test_bad_input(argv, fragments, storage, capsys):
    preset = [] if "--resume" in argv else ["--preset", "smoke"]
    code, stderr = run_cli([*preset, "--storage-path", str(storage), *argv], capsys)
    assert_one_line_error(code, stderr, *fragments)
    assert sorted(path.name for path in storage.rglob("*")) == ["earlier", "keep.txt"]
    assert (storage / "earlier" / "keep.txt").read_text() == "an earlier experiment"


def test_a_batch_larger_than_the_images_is_refused_before_any_trial_starts(storage, tmp_path, capsys, monkeypatch):
    """12 images at batch 16 would make epochs of no step; the folder's size is known once it is decoded."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    folder = shapes_folder(tmp_path / "images", per_class=4)
    argv = ["--preset", "smoke", "--dataset", f"folder:{folder}", "--image-size", "32", "--subset", "0"]
    code, stderr = run_cli([*argv, "--batch-sizes", "8", "16", "--storage-path", str(storage)], capsys)
    assert_one_line_error(
        code,
        stderr,
        f"batch size 16: more than the 12 images a trial trains on (folder:{folder}), and an epoch trains on full "
        "batches; give --batch-sizes of at most 12",
    )
    assert sorted(path.name for path in storage.rglob("*")) == ["earlier", "keep.txt"]


@pytest.mark.parametrize("as_uri", [False, True], ids=["path", "file-uri"])
def test_storage_path_that_is_a_file(tmp_path, capsys, as_uri):
    target = tmp_path / "results.txt"
    target.write_text("not a directory")
    given = target.as_uri() if as_uri else str(target)
    code, stderr = run_cli(["--preset", "smoke", "--storage-path", given], capsys)
    assert_one_line_error(code, stderr, f"--storage-path {given}", "is a file")
    assert target.read_text() == "not a directory"


def test_storage_uri_of_an_unknown_filesystem(capsys):
    code, stderr = run_cli(["--preset", "smoke", "--storage-path", "nosuch://bucket/runs"], capsys)
    assert_one_line_error(code, stderr, "--storage-path nosuch://bucket/runs", "not a storage URI", "s3://")


def test_unwritable_storage_path(capsys):
    code, stderr = run_cli(["--preset", "smoke", "--storage-path", "/proc/tune_gan_results"], capsys)
    assert_one_line_error(code, stderr, "--storage-path /proc/tune_gan_results", "not a writable directory")


@pytest.mark.slow
def test_address_without_a_cluster(storage, capsys, monkeypatch):
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    code, stderr = run_cli(["--preset", "smoke", "--storage-path", str(storage), "--address", "auto"], capsys)
    assert_one_line_error(code, stderr.splitlines()[-1], "--address auto: no Ray cluster reachable there")


def test_data_dir_without_the_dataset(tmp_path, storage, capsys):
    not_a_dir = tmp_path / "data"
    not_a_dir.write_text("")
    code, stderr = run_cli(["--preset", "smoke", "--storage-path", str(storage), "--data-dir", str(not_a_dir)], capsys)
    assert_one_line_error(code, stderr, f"data dir {not_a_dir}", "MNIST/raw/train-images-idx3-ubyte")


@pytest.mark.slow
@pytest.mark.parametrize(
    "argv, fragments",
    [
        (["--cpus-per-trial", "512"], ["--cpus-per-trial 512", "the Ray cluster has only"]),
        (["--gpus-per-trial", "2"], ["--gpus-per-trial 2: the Ray cluster has 0 GPUs"]),
        (["--trials-per-gpu", "4"], ["--trials-per-gpu 4: the Ray cluster has 0 GPUs"]),
    ],
)
def test_more_resources_than_the_cluster_has(argv, fragments, storage, capsys):
    code, stderr = run_cli(["--preset", "smoke", "--storage-path", str(storage), "--name", "big", *argv], capsys)
    assert_one_line_error(code, stderr.splitlines()[-1], *fragments)
    assert not (storage / "big").exists()


def test_a_damaged_dataset_file_stops_the_sweep_before_any_trial(tmp_path, storage, capsys):
    root, images = damaged_copy(tmp_path, "truncated")
    code, stderr = run_cli(
        ["--preset", "smoke", "--storage-path", str(storage), "--name", "damaged", "--data-dir", str(root)], capsys
    )
    assert_one_line_error(code, stderr, f"data file {images} is truncated or corrupt")
    assert not (storage / "damaged").exists()


@pytest.mark.slow
def test_offline_without_the_dataset(tmp_path, storage):
    """A real failed download: every HTTP(S) request goes to a closed local port."""
    offline = {
        **os.environ,
        "http_proxy": "http://127.0.0.1:9",
        "https_proxy": "http://127.0.0.1:9",
        "HTTP_PROXY": "http://127.0.0.1:9",
        "HTTPS_PROXY": "http://127.0.0.1:9",
        "no_proxy": "",
    }
    empty = tmp_path / "empty_data"
    finished = run_script(
        "tune_gan/sweep.py",
        *("--preset", "smoke", "--storage-path", storage, "--dataset", "fashion_mnist", "--data-dir", empty),
        env=offline,
        timeout=300,
    )
    assert_one_line_error(
        finished.returncode,
        finished.stderr,
        f"dataset 'fashion_mnist' is not in data dir {empty}",
        f"expected files: {empty}/FashionMNIST/raw/train-images-idx3-ubyte",
    )
    assert sorted(path.name for path in storage.rglob("*")) == ["earlier", "keep.txt"]


@pytest.mark.parametrize(
    "damage, says",
    [
        ("truncated", f"{STATE_FILE} does not match its {DIGEST_FILE}"),
        ("flipped", f"{STATE_FILE} does not match its {DIGEST_FILE}"),
        ("undigested", f"no {DIGEST_FILE} beside {STATE_FILE}"),
        ("missing", "FileNotFoundError"),
        ("older", f"checkpoint format 1, but this tune-gan resumes only format {CHECKPOINT_FORMAT}: older code"),
        ("newer", f"checkpoint format 99, but this tune-gan resumes only format {CHECKPOINT_FORMAT}: newer code"),
    ],
)
def test_resume_with_a_broken_checkpoint(smoke, tmp_path, capsys, damage, says):
    experiment = tmp_path / "copy"
    shutil.copytree(smoke[0], experiment)
    latest = sorted(next(experiment.glob("train_gan_*")).glob("checkpoint_*"))[-1]
    state_file = latest / STATE_FILE
    if damage == "truncated":
        state_file.write_bytes(state_file.read_bytes()[:1000])
    elif damage == "flipped":  # torch.load alone would not notice
        flip_a_bit(state_file)
    elif damage == "undigested":
        (latest / DIGEST_FILE).unlink()
    elif damage == "missing":
        shutil.rmtree(latest)
    else:  # the state as a checkpoint format before it was recorded (1), or one from the future, digest and all
        state = torch.load(state_file, weights_only=True)
        del state["format"]
        write_state(latest, state if damage == "older" else {**state, "format": 99})
    before = sorted(path.relative_to(experiment) for path in experiment.rglob("*"))
    code, stderr = run_cli(["--resume", "--storage-path", str(tmp_path), "--name", "copy"], capsys)
    assert_one_line_error(code, stderr, f"--resume: checkpoint {latest} cannot be resumed (", says)
    assert sorted(path.relative_to(experiment) for path in experiment.rglob("*")) == before
